"""CSV headers of the import formats (issue 3, "Data the module works on")."""

EMPLOYEES_HEADER = "employee_id,name,email,slack_user_id,country,level,worker_type,status"
GRANTS_HEADER = ("employee_id,grant_number,grant_date,grant_type,plan,exercise_price,granted,exercised,"
                 "cancelled,expiration_date,multi_year_grant")
GRID_HEADER = "exercise_price,expiration_date,multi_year_grant,average_closing_price,price_per_option"
