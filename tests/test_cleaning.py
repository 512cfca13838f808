from handlers.cleaning import clean_message


def test_greeting_and_sign_off_with_name_are_removed():
    text = "Hello,\n\nI am in the Moscow office. How is the payment taxed in Russia?\n\nBest regards,\nDmitry Orlov"
    assert clean_message(text) == "I am in the Moscow office. How is the payment taxed in Russia?"


def test_outlook_original_message_and_everything_below_is_removed():
    text = (
        "Thanks - and what about the second payment?\n\n"
        "-----Original Message-----\nFrom: compchng\nSent: Monday\n"
        "Q11. When and how will I get paid if I transfer my Eligible Options?"
    )
    assert clean_message(text) == "Thanks - and what about the second payment?"


def test_gmail_on_date_wrote_and_angle_quotes_are_removed():
    text = (
        "Does that apply to SARs too?\n\n"
        "On Tue, Oct 21, 2003 at 9:14 AM, SOTP Assistant <compchng@microsoft.com> wrote:\n"
        "> Q5. Which options may I transfer?\n> You may transfer all of your options"
    )
    assert clean_message(text) == "Does that apply to SARs too?"


def test_inline_angle_quoted_lines_are_dropped_but_the_reply_between_them_kept():
    text = "> what is the deadline?\nMidnight Eastern, right?\n> ok"
    assert clean_message(text) == "Midnight Eastern, right?"


def test_signature_delimiter_and_mobile_footer_end_the_message():
    assert clean_message("When is the deadline?\n-- \nJane Doe\nProgram Manager") == "When is the deadline?"
    assert clean_message("When is the deadline?\n\nSent from my iPhone") == "When is the deadline?"


def test_a_chat_thank_you_sentence_is_kept_whole():
    assert clean_message("thanks, that helped a lot!") == "thanks, that helped a lot!"


def test_a_message_that_is_only_a_greeting_is_not_emptied():
    assert clean_message("hi") == "hi"
    assert clean_message("Hello,") == "Hello,"


def test_greeting_with_a_name_and_kia_ora_are_greetings():
    assert clean_message("Kia ora,\n\nIs tax due when I get paid?\n\nCheers,\nTama") == "Is tax due when I get paid?"
    assert clean_message("Dear colleagues,\n\nWhat is the deadline?") == "What is the deadline?"


def test_windows_line_endings_are_handled():
    assert clean_message("Hi,\r\n\r\nWhat is ACP?\r\n\r\nThanks,\r\nAl") == "What is ACP?"


def test_sign_offs_in_other_languages_end_the_message():
    assert clean_message("Olá,\n\nHow will Mellon get my bank details?\n\nObrigado,\nRafael") == \
        "How will Mellon get my bank details?"
    assert clean_message("Is tax withheld?\n\nMit freundlichen Grüßen\nAnna") == "Is tax withheld?"


def test_a_forward_with_a_note_above_it_is_the_note():
    text = ("Could you answer this for my colleague?\n\n---------- Forwarded message ---------\nFrom: Rui\n\n"
            "are the payments taxed in Portugal")
    assert clean_message(text) == "Could you answer this for my colleague?"


def test_a_forward_with_no_note_is_the_forwarded_question_without_its_headers():
    text = ("---------- Forwarded message ---------\nFrom: Rui Alves <ralves@example.com>\nDate: Tue, Nov 4, 2003\n"
            "Subject: options\nTo: Marta\n\nDo unvested options count as eligible options?")
    assert clean_message(text) == "Do unvested options count as eligible options?"


def test_a_forward_under_a_greeting_keeps_what_it_forwards_and_the_question_below_it():
    text = ("Hello,\n\nBegin forwarded message:\nFrom: Kenji\nmy election shows as pending in the tool\n-----\n\n"
            "Kenji wants to know how long Mellon takes to record a faxed form.\n\nRegards,\nAiko")
    assert clean_message(text) == ("my election shows as pending in the tool\n\n"
                                   "Kenji wants to know how long Mellon takes to record a faxed form.")


def test_a_reply_with_nothing_above_the_quoted_thread_is_not_answered_from_the_quote():
    text = "\nOn Mon, Nov 3, 2003 at 9:00 AM SOTP Assistant wrote:\n> From Q21 of the Notice: the deadline"
    assert clean_message(text, whole_if_empty=False) == ""
