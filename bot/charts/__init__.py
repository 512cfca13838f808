"""Charts of an employee's Total Payment against the Average Closing Price (issue 14).

The points come from bot.figures.chart_points (bot.calc.curve); this package only
draws them: png.render for email and Slack (Pillow, loaded only when a
PNG is drawn) and text.render for the terminal. Both are personal data: only
ever to the employee, privately.
"""
