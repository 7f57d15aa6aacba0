from layerstudio.engine.lettering_cues import quoted_as_meant
from layerstudio.training.corpus import STYLE_TEMPLATES, STYLE_WORDS


def test_words_meant_to_be_lettered_are_put_in_quotes():
    for written, read in (
            ("a sign saying OPEN", "a sign saying 'OPEN'"),
            ("the word LOVE in red letters", "the word 'LOVE' in red letters"),
            ("a poster that reads Summer Fun in blue on yellow", "a poster that reads 'Summer Fun' in blue on yellow"),
            ("a big red SALE sticker", "a big red 'SALE' sticker"),
            ("SALE", "'SALE'"),
            ("happy birthday card with three balloons", "'Happy Birthday' card with three balloons"),
            ("happy birthday Emma", "'happy birthday Emma'"),
            ("welcome back to school sign with a pencil", "'Welcome Back to School' sign with a pencil"),
            ("Summer Sale 50% off banner with a yellow sun", "'Summer Sale 50% off' banner with a yellow sun"),
            ("pizza logo for Tony's Pizzeria", "pizza logo for 'Tony's Pizzeria'"),
            ("yard sale sunday 8am", "'Yard Sale Sunday 8am'"),
            ("No Parking sign", "'No Parking' sign"),
            ("Congratulations Class of 2024", "'Congratulations Class of 2024'"),
            ("Eid Mubarak with a crescent moon", "'Eid Mubarak' with a crescent moon"),
            ("thank you for shopping with us", "'Thank You for Shopping with Us'"),
            ("Happy Halloween from all of us with a pumpkin", "'Happy Halloween from all of us' with a pumpkin"),
            ("Taco Tuesday with a taco", "'Taco Tuesday' with a taco"),
            ("a lemonade stand sign", "a 'Lemonade Stand' sign"), ("a car wash sign", "a 'Car Wash' sign"),
            ("Keep calm and drink tea", "'Keep calm and drink tea'"), ("Drink more water", "'Drink more water'"),
            ("Hello!", "'Hello!'"),
            ("Pizza Friday! with a slice of pizza", "'Pizza Friday!' with a slice of pizza"),
            ("a logo for a bakery called Sweet Crumbs", "a logo for a bakery called 'Sweet Crumbs'"),
            ("a book titled The Lost Island", "a book titled 'The Lost Island'"),
            ("Game Over in pixel letters", "'Game Over' in pixel letters"),
            ("a poster with Hello in big bold letters", "a poster with 'Hello' in big bold letters"),
            ("Lost Dog poster", "'Lost Dog' poster"), ("Lost Dog Poster", "'Lost Dog' Poster"),
            ("Coffee & Donuts menu header", "'Coffee & Donuts' menu header"),
            ("Summer Sale 50% off with a palm tree", "'Summer Sale 50% off' with a palm tree"),
            # names joined to a greeting, a sign-off, what congratulations are on
            ("Happy Anniversary Mom and Dad", "'Happy Anniversary Mom and Dad'"),
            ("Congratulations Sarah and Mike with two hearts", "'Congratulations Sarah and Mike' with two hearts"),
            ("Save the Date - Sarah & Tom - June 12", "'Save the Date - Sarah & Tom - June 12'"),
            ("Happy Birthday Dad, love Sam", "'Happy Birthday Dad, love Sam'"),
            ("Congrats on your new job!", "'Congrats on your new job!'"),
            ("Back to School sale with a pencil", "'Back to School sale' with a pencil"),
            ("I love NY with a red heart", "'I love NY' with a red heart"),
            # prices and offers (read as things, '$9.99' was a count of 99)
            ("Pizza $9.99 with a pizza slice", "'Pizza $9.99' with a pizza slice"),
            ("Spring Sale up to 40% off with flowers", "'Spring Sale up to 40% off' with flowers"),
            ("sale 20% off everything", "'Sale 20% off Everything'"),
            # a letter, a number, a monogram; a title after a design noun and a colon, or ending in '!'
            ("the letter A in red", "the letter 'A' in red"), ("a big number 5 with balloons", "a big number '5' with balloons"),
            ("monogram JS in gold", "monogram 'JS' in gold"),
            ("book cover: The Lost Island, with a palm tree", "book cover: 'The Lost Island', with a palm tree"),
            ("instagram post: new arrivals", "instagram post: 'New Arrivals'"),
            ("Hello Spring! flowers and butterflies", "'Hello Spring!' flowers and butterflies"),
            ("Boo! with a ghost", "'Boo!' with a ghost"),
            ("Welcome Students! back to school", "'Welcome Students!' back to school"),
            ("www.mysite.com", "'www.mysite.com'"),  # an address as written
            # the words a prompt opens with, before what it is on or with
            ("coming soon on a black background", "'Coming Soon' on a black background"),
            ("hello in blue", "'Hello' in blue"), ("level up with a star", "'Level Up' with a star"),
            ("Believe in yourself with a star", "'Believe in yourself' with a star"),  # the longest opening
            ("super bowl party sunday", "'Super Bowl Party Sunday'"),  # no bowl in it
            ("baby shower for Sarah with a teddy bear", "'baby shower for Sarah' with a teddy bear"),
            # 'and' between capitalised words, names after a design's 'for', a business in lower case
            ("the words Bread and Butter in brown", "the words 'Bread and Butter' in brown"),
            ("sign that says Fish and Chips", "sign that says 'Fish and Chips'"),
            ("wedding invitation for Anna and Ben", "wedding invitation for 'Anna and Ben'"),
            ("logo for joe's pizza with a pizza slice", "logo for 'Joe's Pizza' with a pizza slice"),
            ("logo for Tom & Jerry's Diner", "logo for 'Tom & Jerry's Diner'"),
            # dates and times, with the lettering beside them; what follows 'slogan:'
            ("grand opening june 5th", "'Grand Opening June 5th'"), ("OPEN HOUSE Sunday 1-4 PM", "'OPEN HOUSE Sunday 1-4 PM'"),
            ("t-shirt slogan: Keep Calm and Code On", "t-shirt slogan: 'Keep Calm and Code On'"),
            ("quote: you got this, on a pink background", "quote: 'You Got This', on a pink background")):
        assert quoted_as_meant(written)[0] == read, written
    assert quoted_as_meant("a sign saying OPEN and a cake with the words Happy Birthday")[1] == \
        ["OPEN", "Happy Birthday"]


def test_things_colours_scenes_and_quoted_prompts_are_left_as_written():
    for written in ("a red star on white", "A RED STAR ON WHITE", "A Red Star On White", "a dragon", "a cat",
                    "a USB stick and a DJ", "a girl reading a book", "New York skyline at night", "a RED star",
                    "a sign saying 'OPEN' and a SALE tag",  # its writer quotes what to letter
                    "halloween party poster with a pumpkin", "a logo for my dentist office", "",
                    "a red heart, the text should be big", "the title should be in blue", "logo for a bakery",
                    "label for strawberry jam", "Instagram post for our new menu", "AI robot",
                    "Golden Retriever with a ball", "Red Star with a glow", "Christmas card with a snowman",
                    "a big wooden sign", "a red stop sign", "a big star sign", "Stop sign", "Draw a cat",
                    "Eat a pizza", "Keep it simple.", "dragon", "bigger", "a dog named Max", "Red Star Sticker",
                    "a red heart in the middle", "menu: Burgers, Fries, Shakes",
                    "wedding invitation with two rings and flowers", "christmas colors with a tree",
                    "Make it pop on a blue background", "a red star on a black background",
                    # pictures, not words (a review of 520 ordinary prompts found these lettered)
                    "Night sky with a full moon", "still life with apples and a jug", "a cat at 3pm", "a $5 bill",
                    "a baby weighing 8 pounds", "teenagers in baseball caps", "a girl named Alice in a garden",
                    "a card for mom's birthday", "a horseshoe for good luck", "a welcome mat at the door",
                    "Misty forest", "the letters in a mailbox", "a cat reads a newspaper", "10 stickers on a laptop",
                    "a 3D illustration of a robot", "Always sunny beach"):
        assert quoted_as_meant(written) == (written, []), written


def test_words_about_the_look_are_no_lettering():
    for template in STYLE_TEMPLATES:
        for a, b in zip(STYLE_WORDS, STYLE_WORDS[1:] + STYLE_WORDS[:1]):
            said = template.format(a=a, b=b, A=a.capitalize())
            assert quoted_as_meant(said) == (said, []), said
    assert quoted_as_meant("Bold and bright.") == ("Bold and bright.", [])
