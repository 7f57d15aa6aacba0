"""A colour for a layer whose words name none: 'a sun' is drawn as 'a yellow sun', 'a cloud' as 'a white cloud'
(or a grey one on white), 'the sea' as 'the blue sea'. The model learnt every object with its colour, so an object
named without one came out in the muddy average of them all (a brown moon, a slate star, a grey sun, a green
heart). Things with no usual colour take a bright one, chosen by the layer's seed: another seed, another colour."""
from __future__ import annotations

import random
import re

import numpy as np

from .counting import DOING
from .effects import EFFECT_WORDS
from .colours import colour_names, colour_rgb, colour_spans, lab
from .patterns import PATTERN_WORDS, names_pattern
from .silhouettes import name_spans, no_thing_spans, plural_forms
from .text import article_for, quoted_ranges

# things as people name them -> colours they usually have, the likeliest first
_USUAL = {
    "daisy": ("white", "yellow"), "lotus": ("pink",),  # (a rose and a sunflower: with the plants below)
    "lily": ("white", "pink"), "orchid": ("purple", "hot pink"), "blossom": ("pink",), "cherry blossom": ("pink",),
    "hibiscus": ("red", "hot pink"), "dove": ("white", "grey"), "pigeon": ("grey",), "seagull": ("white", "grey"),
    "robin": ("brown", "red"), "sparrow": ("brown",), "bluebird": ("blue",), "songbird": ("yellow", "blue"),
    "retriever": ("gold", "tan"), "labrador": ("gold", "black"), "poodle": ("white", "tan"), "corgi": ("orange",),
    "beagle": ("brown", "tan"), "husky": ("grey", "white"), "pug": ("tan",), "dachshund": ("brown",),
    "terrier": ("tan", "white"), "bulldog": ("tan", "brown"), "chihuahua": ("tan",), "dalmatian": ("white", "black"),
    "sheepdog": ("white", "grey"), "spaniel": ("brown",), "collie": ("brown", "white"), "tabby": ("orange", "grey"),
    "stop sign": ("red",), "baby bottle": ("sky blue", "pink"), "feeding bottle": ("sky blue", "pink"), "diploma": ("tan", "white"), "certificate": ("tan", "white"), "graduation cap": ("black",), "grad cap": ("black",), "mortarboard": ("black",), "helmet": ("red", "blue"),
    "football helmet": ("navy", "red"), "treasure chest": ("brown", "gold"), "treasure": ("gold", "brown"),
    "mailbox": ("blue", "red"), "menorah": ("gold",), "candelabra": ("gold", "silver"), "campfire": ("orange", "red"),
    "bonfire": ("orange", "red"), "box": ("tan", "brown"), "parcel": ("tan", "brown"), "package": ("tan", "brown"),
    "traffic cone": ("orange",), "email": ("white", "sky blue"), "mail": ("white", "sky blue"), "muffin": ("brown",),
    "island": ("green", "tan"), "paw": ("brown", "black"), "chili": ("red",), "chilli": ("red",),
    "fishbowl": ("sky blue",), "fish bowl": ("sky blue",), "sled": ("red",), "sledge": ("red",),
    "couch": ("grey", "blue", "brown"), "desk": ("brown",), "sneaker": ("red", "white", "blue"), "tea": ("white", "green"),
    "hot chocolate": ("brown",), "cocoa": ("brown",), "wine": ("burgundy", "crimson"), "cocktail": ("hot pink", "orange"),
    "martini": ("sky blue", "silver"), "palette": ("tan", "brown"), "heartbeat": ("red",), "plant": ("green",),
    "seedling": ("green",), "bank": ("grey", "slate grey"), "paint roller": ("red", "blue"), "wand": ("black", "purple"),
    "stocking": ("red",), "christmas stocking": ("red",), "controller": ("black", "grey"),
    "game controller": ("black", "grey"), "crystal ball": ("purple", "sky blue"),
    "sun": ("yellow", "gold", "orange"), "moon": ("gold", "yellow", "silver"), "star": ("gold", "yellow"),
    "starburst": ("gold", "orange", "red"), "lightning": ("yellow", "gold"), "heart": ("red", "crimson", "hot pink"),
    "cloud": ("white", "light grey", "sky blue"), "rainbow": (), "snowflake": ("light blue", "white", "sky blue"),
    "water drop": ("dodger blue", "blue"), "raindrop": ("dodger blue", "blue"), "waves": ("blue", "teal"),
    "fire": ("orange", "red"), "flame": ("orange", "red"), "tornado": ("grey",), "volcano": ("brown",),
    "mountain": ("grey", "slate grey"), "planet": ("orange", "purple", "teal"), "globe": ("blue", "teal"),
    # plants
    "tree": ("green", "forest green"), "pine tree": ("forest green", "green"), "palm tree": ("green",),
    "christmas tree": ("forest green", "green"), "leaf": ("green", "forest green"), "maple leaf": ("red", "orange"),
    "clover": ("green",), "sprout": ("green",), "cactus": ("green",), "flower": ("pink", "red", "purple"),
    "tulip": ("red", "pink"), "poppy": ("red",), "rose": ("red", "crimson"), "sunflower": ("yellow",),
    "mushroom": ("red", "brown"), "seed": ("brown",),
    # food
    "apple": ("red", "green"), "cherry": ("red", "crimson"), "cherries": ("red", "crimson"), "lemon": ("yellow",),
    "pear": ("green", "yellow"), "pineapple": ("gold",), "banana": ("yellow",), "grapes": ("purple",),
    "strawberry": ("red",), "watermelon": ("green",), "carrot": ("orange",), "pumpkin": ("orange",),
    "corn": ("gold", "yellow"), "chili pepper": ("red",), "peanut": ("tan",), "egg": ("white", "tan"),
    "fried egg": ("white", "gold"), "bread": ("tan",), "baguette": ("tan",), "pretzel": ("brown",), "cookie": ("tan",),
    "cake": ("pink", "brown"), "cupcake": ("pink",), "ice cream": ("pink",), "popsicle": ("orange", "pink"),
    "candy": ("hot pink", "red"), "candy cane": ("red",), "cheese": ("gold", "yellow"), "pizza": ("orange", "gold"),
    "pizza slice": ("orange", "gold"), "burger": ("brown", "orange"), "hamburger": ("brown", "orange"),
    "hot dog": ("orange", "brown"), "french fries": ("gold",), "fries": ("gold",), "taco": ("gold", "orange"),
    "popcorn": ("white", "yellow"), "noodles": ("gold",), "rice": ("white",), "coffee cup": ("brown", "white"),
    "coffee": ("brown",), "cup": ("white", "brown", "red"), "beer": ("gold",), "wine bottle": ("dark green", "crimson"),
    "cocktail glass": ("pink", "orange"), "kettle": ("silver", "red"),
    # animals
    "cat": ("black", "orange", "grey"), "kitten": ("orange", "grey"), "dog": ("brown", "tan"), "puppy": ("brown", "tan"),
    "bird": ("blue", "red", "yellow"), "duck": ("yellow",), "owl": ("brown",), "penguin": ("black",),
    "fish": ("orange", "blue", "teal"), "shark": ("grey", "slate grey"), "dolphin": ("grey", "dodger blue"),
    "whale": ("blue", "slate grey"), "jellyfish": ("pink", "purple"), "turtle": ("green",), "tortoise": ("green",),
    "snake": ("green",), "frog": ("green",), "ladybug": ("red",), "bee": ("yellow", "gold"),
    "butterfly": ("orange", "purple", "blue"), "spider": ("black",), "bat": ("black",), "bug": ("green",),
    "snail": ("brown",), "pig": ("pink",), "cow": ("black", "brown"), "sheep": ("white",), "horse": ("brown",),
    "elephant": ("grey",), "panda": ("black",), "koala": ("grey",), "mouse": ("grey",), "bunny": ("white", "grey"),
    "rabbit": ("grey", "white"), "kangaroo": ("brown",), "unicorn": ("white", "pink"), "fox": ("orange",),
    "bear": ("brown",), "lion": ("gold", "orange"), "tiger": ("orange",), "dragon": ("green", "red"),
    "ghost": ("white", "grey"), "skull": ("white", "grey"), "bone": ("white", "grey"), "snowman": ("white", "sky blue"), "alien": ("green",),
    # things
    "crown": ("gold",), "trophy": ("gold",), "medal": ("gold",), "money bag": ("gold", "brown"), "key": ("gold",),
    "bell": ("gold",), "coin": ("gold",), "gem": ("teal", "purple", "red"), "diamond": ("sky blue", "teal"),
    "gift": ("red", "purple", "blue"), "present": ("red", "purple", "blue"), "balloon": ("red", "blue", "pink"),
    "hot air balloon": ("red", "orange"), "rocket": ("red", "silver"), "ufo": ("silver", "grey"),
    "satellite": ("silver", "grey"), "light bulb": ("yellow",), "lightbulb": ("yellow",), "candle": ("white", "red"),
    "lighthouse": ("red", "white"), "umbrella": ("red", "blue"), "beach umbrella": ("red", "orange"),
    "anchor": ("navy", "black"), "car": ("red", "blue"), "truck": ("red", "blue"), "bus": ("yellow", "red"),
    "taxi": ("yellow",), "fire truck": ("red",), "ambulance": ("white",), "tractor": ("green", "red"),
    "train": ("red", "blue"), "tram": ("red", "yellow"), "airplane": ("white", "grey"), "helicopter": ("red", "grey"),
    "boat": ("red", "white"), "sailing boat": ("white", "red"), "ship": ("red", "navy"), "submarine": ("yellow",),
    "house": ("red", "brown"), "home": ("red", "brown"), "barn": ("red",), "castle": ("grey",), "church": ("grey",),
    "book": ("red", "navy", "brown"), "envelope": ("white",), "pencil": ("yellow",), "scroll": ("tan",),
    "music note": ("black",), "musical note": ("black",), "guitar": ("brown", "red"), "violin": ("brown",),
    "piano": ("black",), "trumpet": ("gold",), "saxophone": ("gold",), "microphone": ("black", "silver"),
    "headphones": ("black",), "camera": ("black",), "laptop": ("grey", "silver"), "computer": ("grey",),
    "smartphone": ("black",), "phone": ("black",), "telephone": ("red", "black"), "television": ("black",),
    "tv": ("black",), "clock": ("white", "black"), "alarm clock": ("red",), "watch": ("black", "silver"),
    "glasses": ("black",), "sunglasses": ("black",), "hat": ("black", "brown"), "witch hat": ("black", "purple"),
    "wizard hat": ("purple", "navy"), "shoe": ("brown", "black", "red"), "boot": ("brown", "black"),
    "high heel": ("red", "black"), "tie": ("red", "navy"), "bow tie": ("red", "black"), "t-shirt": ("blue", "red"),
    "tshirt": ("blue", "red"), "handbag": ("red", "brown"), "backpack": ("blue", "red"), "suitcase": ("brown",),
    "wallet": ("brown",), "hammer": ("grey",), "wrench": ("grey",), "screwdriver": ("red",), "axe": ("red", "grey"),
    "sword": ("silver", "grey"), "shield": ("silver", "blue", "red"), "magnet": ("red",), "scissors": ("grey", "red"),
    "paper plane": ("white",), "paperclip": ("silver",), "pushpin": ("red",), "map pin": ("red",),
    "flag": ("red", "blue"), "kite": ("red", "orange"), "bicycle": ("red", "blue"), "skateboard": ("orange", "red"),
    "basketball": ("orange",), "football": ("brown", "white"), "baseball": ("white",), "tennis ball": ("yellow",),
    "dice": ("white", "red"), "puzzle piece": ("blue", "green"), "robot": ("silver", "grey"),
    "plane": ("white", "grey"), "aeroplane": ("white", "grey"), "jet": ("grey", "white"), "bike": ("red", "blue"),
    "sailboat": ("white", "red"), "ferry": ("white", "red"), "cellphone": ("black",), "padlock": ("gold", "grey"),
    "kitty": ("orange", "grey"), "doggy": ("brown", "tan"), "lock": ("gold", "grey"), "pin": ("red",),
    "location pin": ("red",), "map marker": ("red",), "wave": ("blue", "teal"), "shirt": ("blue", "red"),
    "dollar": ("green",), "euro": ("blue", "gold"), "smile": ("yellow",), "smiley": ("yellow",),
    "emoji": ("yellow",), "happy face": ("yellow",), "checkmark": ("green",), "check mark": ("green",),
    "tick": ("green",), "question mark": ("blue", "purple"), "exclamation mark": ("red",), "ribbon": ("red", "pink"),
    "ornament": ("red", "gold"), "bauble": ("red", "gold"), "spider web": ("grey",), "cobweb": ("grey",),
    "moustache": ("black", "brown"), "mustache": ("black", "brown"), "necklace": ("gold",), "cash": ("green",),
    "money": ("green",), "banknote": ("green",), "peace sign": ("purple", "blue"), "yin yang": ("black",),
    "infinity": ("purple", "blue"), "turkey": ("brown",), "croissant": ("tan", "gold"), "drumstick": ("brown",),
    "steak": ("brown", "crimson"), "bowl": ("white", "blue"), "knife": ("silver", "grey"), "spoon": ("silver",),
    "fork": ("silver",), "toast": ("tan",), "firework": ("red", "gold"), "hamster": ("tan", "orange"),
    "rat": ("grey",), "rodent": ("grey",), "hand": ("tan",), "clapping hands": ("tan",), "shooting star": ("gold",),
    "broken heart": ("red",), "earth": ("blue", "teal"), "world": ("blue", "teal"), "lipstick": ("red", "crimson"),
    "champagne": ("gold",), "beer mug": ("gold",), "wine glass": ("crimson",), "bottle": ("green", "red"),
    "treble clef": ("black",), "teddy bear": ("brown", "tan"), "teddy": ("brown", "tan"), "soccer ball": ("white",),
    "ball": ("red", "blue", "white"), "store": ("red", "blue"), "shop": ("red", "blue"), "mug": ("white", "red"),
    "teacup": ("white", "pink"), "pot": ("grey", "silver"), "donut": ("pink", "tan"), "doughnut": ("pink", "tan"),
    "paw print": ("brown", "black"), "footprint": ("black",), "thumbs up": ("yellow", "blue"), "feather": ("white",),
    "piggy bank": ("pink",), "tooth": ("white",), "brain": ("pink",), "bomb": ("black",), "eye": ("blue",),
    "tent": ("orange", "green"), "chess knight": ("black", "white"), "hourglass": ("gold", "tan"),
    "shopping bag": ("red", "brown"), "lifebuoy": ("red", "white"), "pill": ("red", "blue"), "ticket": ("gold", "red"),
    "credit card": ("blue", "gold"), "recycle": ("green",), "windmill": ("white",), "magic wand": ("black",),
    "doggo": ("brown", "tan"),
    "hippo": ("grey", "purple"), "hippopotamus": ("grey",), "otter": ("brown",), "crow": ("black",),
    "raven": ("black",), "blackbird": ("black",), "shrimp": ("coral", "orange"), "prawn": ("coral", "orange"),
    "worm": ("pink", "brown"), "mosquito": ("black", "grey"), "kiwi bird": ("brown",), "bacon": ("crimson", "red"),
    "holly": ("forest green", "red"), "mitten": ("red", "blue"), "sleigh": ("red",), "sock": ("red", "blue"),
    "igloo": ("white", "sky blue"), "icicle": ("light blue", "sky blue"), "drum": ("red", "blue"),
    "donkey": ("grey", "brown"), "meteor": ("orange", "red"), "comet": ("gold", "orange"), "hurricane": ("grey",),
    "rain cloud": ("grey", "slate grey"), "storm cloud": ("dark slate grey", "grey"), "thundercloud": ("dark slate grey",),
    "snow cloud": ("light grey", "sky blue"), "chef hat": ("white", "slate grey"), "chef's hat": ("white", "slate grey"), "toque": ("white", "slate grey"),
    "layer cake": ("pink", "white"), "wedding cake": ("white", "pink"), "tiered cake": ("pink", "white"),
    "fridge": ("white", "silver"), "refrigerator": ("white", "silver"), "stove": ("silver", "black"),
    "washing machine": ("white", "slate grey"), "traffic light": ("dark slate grey", "black"), "stoplight": ("dark slate grey",),
    "caution sign": ("gold", "yellow"), "warning sign": ("gold", "yellow"), "ladder": ("brown", "silver"),
    "fireplace": ("brown", "red"), "cooking pot": ("silver", "grey"), "american football": ("brown",),
    "rugby ball": ("brown", "white"), "hockey puck": ("black",), "volleyball": ("white", "gold"),
    "boxing glove": ("red",), "podium": ("gold", "silver"), "checkered flag": ("black",), "chequered flag": ("black",),
    "megaphone": ("red", "orange"), "bullhorn": ("red", "orange"), "microscope": ("grey", "black"),
    "flask": ("teal", "green"), "beaker": ("teal", "sky blue"), "atom": ("blue", "purple"), "dna": ("blue", "purple"),
    "pen": ("blue", "black"), "fountain pen": ("black", "gold"), "ruler": ("gold", "tan"), "calculator": ("grey",),
    "clipboard": ("brown",), "coffin": ("brown", "black"), "gravestone": ("grey", "slate grey"),
    "tombstone": ("grey", "slate grey"), "headstone": ("grey",), "grave": ("grey",), "star of david": ("blue", "gold"),
    "flexed arm": ("tan",), "bicep": ("tan",), "biceps": ("tan",), "ok hand": ("gold", "tan"), "thumbs down": ("red",),
    "vinyl record": ("black",), "vinyl": ("black",), "record player": ("black", "brown"), "turntable": ("black",),
    "poop": ("brown",), "poop emoji": ("brown",), "pile of poo": ("brown",), "devil": ("red", "purple"),
    "face": ("gold", "yellow"), "chess king": ("black", "white"), "chess queen": ("black", "white"),
    "rook": ("black", "white"), "chess rook": ("black", "white"), "chess bishop": ("black", "white"),
    "pawn": ("black", "white"), "chess pawn": ("black", "white"), "frown": ("gold", "yellow"),
    # things Twemoji's silhouettes draw (resources/silhouettes/twemoji.json)
    "dinosaur": ("green",), "t-rex": ("green",), "tyrannosaurus": ("green",), "brontosaurus": ("green", "teal"),
    "sauropod": ("green", "teal"), "sparkles": ("gold", "yellow"), "sparkle": ("gold", "yellow"),
    "twinkle": ("gold", "yellow"), "wolf": ("grey", "slate grey"), "deer": ("brown", "tan"), "reindeer": ("brown",),
    "stag": ("brown",), "eagle": ("brown",), "parrot": ("green", "red"), "flamingo": ("hot pink", "pink"),
    "swan": ("white",), "chicken": ("white", "brown"), "hen": ("brown", "white"), "rooster": ("red", "brown"),
    "chick": ("yellow",), "giraffe": ("gold", "orange"), "zebra": ("black",), "monkey": ("brown",),
    "gorilla": ("dark slate grey", "black"), "camel": ("tan",), "squirrel": ("brown", "orange"),
    "chipmunk": ("brown",), "hedgehog": ("brown",), "raccoon": ("grey",), "octopus": ("purple", "orange", "red"),
    "crab": ("red", "orange"), "lobster": ("red",), "ant": ("black", "red"), "sloth": ("brown", "tan"),
    "beaver": ("brown",), "bison": ("brown",), "rhino": ("grey",), "rhinoceros": ("grey",), "llama": ("white", "tan"),
    "alpaca": ("white", "tan"), "goat": ("white", "grey"), "leopard": ("gold", "orange"), "ox": ("brown",),
    "buffalo": ("brown", "dark slate grey"), "badger": ("grey",), "skunk": ("black",), "dodo": ("grey",),
    "crocodile": ("green",), "alligator": ("green",), "lizard": ("green",), "blowfish": ("gold", "yellow"),
    "pufferfish": ("gold", "yellow"), "squid": ("pink", "orange"), "beetle": ("green", "black"),
    "cricket": ("green", "brown"), "scorpion": ("black", "brown"), "microbe": ("green",), "germ": ("green",),
    "virus": ("green", "red"), "caterpillar": ("green",), "kiwi": ("green",), "coconut": ("brown",),
    "blueberries": ("blue", "navy"), "blueberry": ("blue", "navy"), "eggplant": ("purple",), "aubergine": ("purple",),
    "cucumber": ("green",), "lettuce": ("green",), "spaghetti": ("gold",), "ramen": ("gold",),
    "lollipop": ("hot pink", "red"), "honey pot": ("gold",), "glass of milk": ("white",), "tumbler": ("gold",),
    "chopsticks": ("brown",), "pie": ("tan", "gold"), "burrito": ("tan",), "tangerine": ("orange",),
    "avocado": ("green",), "broccoli": ("green",), "bell pepper": ("red", "green"), "onion": ("tan", "purple"),
    "garlic": ("white",), "bouquet": ("pink", "red"), "lantern": ("red",), "paper lantern": ("red",),
    "yarn": ("red", "blue"), "thread": ("red", "blue"), "spool": ("red", "blue"), "santa": ("red",),
    "santa claus": ("red",), "father christmas": ("red",), "elf": ("green",), "angel": ("white", "gold"),
    "scarf": ("red", "blue"), "dress": ("red", "blue", "pink"), "kimono": ("red", "pink"), "jeans": ("blue", "navy"),
    "coat": ("brown", "navy"), "gloves": ("red", "brown"), "cap": ("red", "blue"), "sandal": ("brown", "tan"),
    "yo-yo": ("red", "blue"), "pinata": ("hot pink", "orange"), "nesting dolls": ("red",),
    "jack-o-lantern": ("orange",), "ping pong": ("red",), "boomerang": ("brown", "orange"), "frying pan": ("black",),
    "butter": ("gold", "yellow"), "moai": ("grey",), "statue of liberty": ("teal",), "tokyo tower": ("red",),
    "eiffel tower": ("brown", "slate grey"), "mount fuji": ("slate grey", "blue"), "stadium": ("grey",),
    "classical building": ("grey", "tan"), "kiss mark": ("red", "crimson"), "droplet": ("dodger blue", "blue"),
    "sweat drops": ("dodger blue",), "thought bubble": ("white", "light grey"), "musical notes": ("black",),
    "crayon": ("red", "blue", "green"), "gear": ("grey", "slate grey"), "cog": ("grey", "slate grey"),
    "nut and bolt": ("grey", "silver"), "chains": ("grey", "silver"), "test tube": ("teal", "green"),
    "abacus": ("brown", "red"), "diya": ("orange", "gold"), "balance scale": ("gold", "grey"),
    "stopwatch": ("silver", "grey"), "high voltage": ("yellow", "gold"), "flying saucer": ("silver", "grey"),
    "roller coaster": ("red", "blue"), "carousel": ("gold", "pink"), "clapper board": ("black",),
    "performing arts": ("gold", "purple"), "video game": ("black", "grey"), "slot machine": ("red", "gold"),
    "flying disc": ("orange", "blue"), "frisbee": ("orange", "blue"), "ice skate": ("white", "silver"),
    "fishing pole": ("brown",), "martial arts uniform": ("white",), "goal net": ("white", "grey"),
    "lacrosse": ("brown", "white"), "curling stone": ("grey", "red"), "roller skate": ("pink", "red"),
    "canoe": ("brown", "red"), "speedboat": ("white", "red"), "rowboat": ("brown",), "steam locomotive": ("black",),
    "locomotive": ("black", "red"), "minibus": ("blue", "white"), "trolleybus": ("red", "yellow"),
    "aerial tramway": ("red", "grey"), "fuel pump": ("red",), "construction sign": ("gold", "orange"),
    "milk": ("white",), "pie slice": ("tan", "gold"), "hot pepper": ("red",), "evergreen": ("forest green",),
    "shamrock": ("green",), "nest": ("brown",), "plunger": ("red", "brown"), "toothbrush": ("blue", "white"),
    "placard": ("tan", "white"), "hamsa": ("blue", "gold"), "nazar amulet": ("blue", "navy"),
    "sewing needle": ("silver", "grey"), "shopping trolley": ("silver", "grey"), "drop of blood": ("crimson", "red"),
    "crutch": ("grey", "silver"),
    "confetti": ("hot pink", "gold", "teal"),  # (resources/silhouettes/drawn.json)
}
# backgrounds named as places -> their usual colours
_PLACES = {
    "sky": ("sky blue", "blue"), "night sky": ("midnight blue", "navy"), "night": ("midnight blue", "navy"),
    "space": ("midnight blue", "black"), "sea": ("blue", "teal"), "ocean": ("blue", "teal"), "lake": ("blue", "teal"),
    "river": ("blue", "teal"), "water": ("blue", "teal"), "field": ("green",), "meadow": ("green",),
    "grass": ("green",), "lawn": ("green",), "garden": ("green",), "forest": ("forest green", "dark green"),
    "woods": ("forest green", "dark green"), "jungle": ("forest green",), "hill": ("green",), "hills": ("green",),
    "beach": ("tan", "wheat"), "sand": ("tan", "wheat"), "desert": ("tan", "sandy brown"), "snow": ("white",),
    "table": ("brown",), "wooden table": ("brown",), "floor": ("brown", "grey"), "wood": ("brown",),
    "road": ("grey",), "street": ("grey",), "city": ("grey",), "wall": ("white", "beige"), "paper": ("white",),
    "page": ("white",), "canvas": ("white",), "board": ("dark slate grey",), "chalkboard": ("dark slate grey",),
    "blackboard": ("dark slate grey",), "desk": ("brown",), "park": ("green",), "pond": ("blue", "teal"),
    "countryside": ("green",), "ground": ("brown", "green"), "clouds": ("sky blue",), "day": ("sky blue",),
    "morning": ("sky blue", "light yellow"), "sunshine": ("light yellow", "sky blue"), "sunrise": ("orange", "pink"),
    "dawn": ("pink", "orange"), "evening": ("purple", "orange"), "dusk": ("purple", "midnight blue"),
    "midnight": ("midnight blue", "navy"), "nighttime": ("midnight blue", "navy"), "twilight": ("purple", "navy"),
    "nightfall": ("navy", "purple"), "daybreak": ("pink", "orange"),
    "rain": ("grey", "slate grey"), "storm": ("dark slate grey", "grey"), "fog": ("light grey", "silver"),
    "underwater": ("blue", "teal"), "backdrop": ("white",), "sunset": ("orange",), "stage": ("black",),
    "dark": ("dark slate grey", "black", "midnight blue"), "light": ("light grey", "beige"),
    "pastel": ("pastel pink", "pastel blue"), "brick": ("firebrick", "brown"), "stone": ("grey", "slate grey"),
    "savanna": ("tan", "khaki"), "savannah": ("tan", "khaki"), "galaxy": ("midnight blue", "indigo"),
    "winter": ("white", "light blue"), "autumn": ("orange", "dark orange"), "cave": ("dark slate grey",),
}
_SHADES = {"dark", "light", "pastel"}  # said alone of a background, a shade is a colour ('a pastel background')
# a gradient (with the word before it that says which: 'a radial gradient'), or the patterns' own words
_PATTERN_WORD = re.compile(r"\b((?:radial\s+|linear\s+)?gradient)\b|%s" % PATTERN_WORDS.pattern, re.IGNORECASE)
_GRADIENT_PAIRS = (("teal", "dodger blue"), ("orange", "hot pink"), ("purple", "dodger blue"), ("gold", "orange"),
                   ("hot pink", "purple"), ("sky blue", "white"))
BRIGHT = ("red", "orange", "gold", "green", "teal", "dodger blue", "blue", "purple", "hot pink", "crimson")
# the two colours of a gradient named after a place ('a sunset gradient'), from the first
_PLACE_GRADIENTS = {"sunset": ("orange", "purple"), "sunrise": ("gold", "hot pink"), "sky": ("sky blue", "white"),
                    "sea": ("teal", "navy"), "ocean": ("teal", "navy"), "night": ("navy", "purple")}
APART = 30.0  # delta E: nearer than this to the colour under it, an object would vanish into it


def _pattern(names) -> re.Pattern:
    """One pattern for the names and their plurals, longest first ('palm tree' before 'tree'); the group that
    matched is named after the name's place in `_in_order(names)`."""
    words = _in_order(names)
    return re.compile(r"\b(?:%s)\b" % "|".join("(?P<n%d>%s)" % (k, "|".join(plural_forms(w)))
                                               for k, w in enumerate(words)), re.IGNORECASE)


def _in_order(names) -> list[str]:
    return sorted(names, key=len, reverse=True)


def _name_of(match: re.Match, names) -> str:
    return _in_order(names)[int(match.lastgroup[1:])]


_THINGS, _PLACE_WORDS = _pattern(_USUAL), _pattern(_PLACES)
_THING_END = re.compile(r"\s+(?:with|in|on|at|of|saying|that|which|next|beside|above|below|under|over|near|by|"
                        r"and)\b|\s*[,;:.!?(]", re.IGNORECASE)
_DOING = re.compile(r"\s+(?:facing|upside|%s)\b" % DOING, re.IGNORECASE)  # 'an arrow pointing right', 'a cat sitting'
_ARTICLES = {"a", "an", "the", "some", "one"}


def _apart(colour: str, under, apart: float = APART) -> bool:
    return all(stands_apart(colour_rgb(colour), rgb, apart) for rgb in _grounds(under))


def _grounds(under) -> list[tuple[int, int, int]]:
    """The colours under an object: none, one, or a pattern's two (a list)."""
    return [] if under is None else list(under) if isinstance(under, list) else [under]


def _dark(under) -> bool:
    return bool(_grounds(under)) and float(np.mean([lab(rgb)[0] for rgb in _grounds(under)])) < 50


def stands_apart(rgb: tuple[int, int, int], under: tuple[int, int, int], apart: float = APART) -> bool:
    """Whether a colour shows on another: delta E at least `apart`."""
    return float(np.linalg.norm(np.subtract(lab(rgb), lab(under)))) >= apart


def _choose(candidates, seed: int, under, beside=()) -> str:
    """A candidate apart from the colour under it, by seed among the two likeliest, one unlike the other objects'
    colours (`beside`) where there is one; else a lighter or darker shade of one ('a pine tree in a forest' came out
    red: light green now); else one that shows a little (white clouds on a light blue sky); else a bright one; else
    black or white, whichever stands out."""
    rng = random.Random(seed)
    names = colour_names()
    shades = [f"{shade} {c}" for c in candidates for shade in ("light", "dark") if f"{shade} {c}" in names]
    for pool, apart in ((candidates, APART), (shades, APART), (candidates, APART / 2), (BRIGHT, APART)):
        usual = [c for c in pool if _apart(c, under, apart)]
        unlike = [c for c in usual if all(_apart(c, other) for other in beside)]
        if unlike or usual:
            chosen = (unlike or usual)[:2] if pool is not BRIGHT else (unlike or usual)
            return chosen[rng.randrange(len(chosen))]
    return "white" if _dark(under) else "black"


def _with_colour(text: str, at: int, colour: str) -> str:
    """`colour` put in before character `at`, an 'a' or 'an' just before made to agree with it."""
    before = text[:at]
    article = re.search(r"\b(a|an)\s+$", before, re.IGNORECASE)
    if article:
        said = article.group(1)
        fitting = article_for(colour, "a")
        fitting = fitting.capitalize() if said[:1].isupper() else fitting
        before = before[:article.start(1)] + fitting + before[article.end(1):]
    return f"{before}{colour} {text[at:]}"


_WITH = re.compile(r"\s+with\s+", re.IGNORECASE)
_EFFECT = re.compile(r"\b(%s)\b" % "|".join(sorted(EFFECT_WORDS)), re.IGNORECASE)


def without_parts(description: str) -> str:
    """The description without the parts said after 'with' ('a snowman with a carrot nose and a black hat' ->
    'a snowman'); effects stay ('a red star with a drop shadow'). A layer is drawn as one thing in one colour: the
    colours of its parts, taken for the whole, painted it (a black snowman, a red house for 'a red roof')."""
    quoted = quoted_ranges(description)
    for said in _WITH.finditer(description):
        if not any(a <= said.start() < b for a, b in quoted):
            rest = description[said.end():]
            if _EFFECT.search(rest):
                return description
            head = description[:said.start()]
            # a head naming nothing drawn shows what it is with ('Sunday Brunch with croissants': croissants)
            return head if quoted or name_spans(head) or not name_spans(rest) else rest
    return description


def in_one_colour(description: str, which: int = 0) -> str:
    """The description with colours said together for one thing cut to the first ('a black and white cow' -> 'a
    black cow'), or to the `which`-th (counting round) for one of several things listed with their colours ('three
    balloons, red, yellow and blue'): a layer is drawn in one colour, and asked for two the model drew their muddy
    mean (olive for black and white). Lettering keeps its words; colours said apart ('a red star with a blue glow')
    stay."""
    run = first_colour_run(description)
    if len(run) < 2:
        return description
    a, b, _ = run[which % len(run)]
    return description[:run[0][0]] + description[a:b] + description[run[-1][1]:]


def first_colour_run(text: str) -> list[tuple[int, int, tuple[int, int, int]]]:
    """The colour spans said together from the first colour named outside quotes on ('red, yellow and blue',
    'black and white'); [] where none is named."""
    spans = colour_spans(text, quoted_ranges(text))
    run = spans[:1]
    for (_, b, _), (c, d, rgb) in zip(spans, spans[1:]):
        if not re.fullmatch(r"\s*(?:,|and|&|or|-|/)\s*(?:and\s+)?", text[b:c], re.IGNORECASE):
            break
        run.append((c, d, rgb))
    return run


def names_a_colour(text: str) -> bool:
    return bool(colour_spans(text, quoted_ranges(text)))


def object_in_usual_colour(description: str, seed: int, under: tuple[int, int, int] | list | None = None,
                           beside=(), palette=()) -> str:
    """The description with a colour put in where it names none: the usual one of the thing it names (chosen by
    `seed` among the likeliest), else a bright one; one that stands apart from `under` (the background's colour, or
    a list of a pattern's two colours, when known) and where it can from the other objects' colours `beside` (a
    taxi and a bus both came out yellow). Lettering is black or white, whichever stands out. A `palette` the prompt
    states (colour names) is used instead where one of its colours stands apart. As it was where it names a colour."""
    if not description.strip() or names_a_colour(description):
        return description
    palette = [c for c in palette if _apart(c, under)]
    quoted = quoted_ranges(description)
    if quoted:
        end = quoted[-1][1]
        end += 1 if end < len(description) and description[end] in "'\"’”" else 0
        colour = max(palette, key=lambda c: _contrast(c, under)) if palette else "white" if _dark(under) else "black"
        return f"{description[:end]} in {colour}{description[end:]}"
    at, usual = _colour_place(description)
    return _with_colour(description, at, _choose(palette or usual, seed, under, beside))


def _contrast(colour: str, under) -> float:
    """Delta E of a colour from the nearest colour under it (0 where nothing is known)."""
    return min((float(np.linalg.norm(np.subtract(lab(colour_rgb(colour)), lab(ground)))) for ground in _grounds(under)),
               default=0.0)


def _colour_place(description: str) -> tuple[int, tuple[str, ...]]:
    """Where a colour goes in a description naming none, and the usual colours of the thing it names (() for none)."""
    # the thing's name ends where its extras begin: 'a circle with a drop shadow', 'a square with a heart on it'
    end = _THING_END.search(description)
    name = description[:end.start() if end else len(description)].rstrip()
    if end and end.group().strip().lower() in ("of", "and") and not _THINGS.search(name):
        # a thing said across 'of' or 'and' ('a glass of milk', 'a nut and bolt'), or after a measure of it ('a
        # pair of jeans', 'a bunch of bananas'): they took a colour at random
        further = _THING_END.search(description, end.end())
        whole = description[:further.start() if further else len(description)].rstrip()
        if _THINGS.search(whole):
            name = whole
    unknown = no_thing_spans(name)  # before a whole name that holds another's: 'a brown rolling pin', no push pin
    if unknown:
        return unknown[-1][0], ()
    thing = _THINGS.search(name)
    known = name_spans(name)  # a shape or icon with no usual colour: before its name ('an arrow pointing up')
    if thing:
        # before the whole name of an icon that holds the thing's ('a chef hat': not 'a chef black hat')
        at = next((a for a, b in known if a < thing.start() and thing.end() <= b), thing.start())
        return at, _USUAL[_name_of(thing, _USUAL)]
    if known:
        return known[0][0], ()
    # anything else: before the last word of its name ('a fluffy zorblat with wings', 'a king'), not of what it does
    doing = _DOING.search(name)
    if doing and set(name[:doing.start()].lower().split()) - _ARTICLES:
        name = name[:doing.start()]
    return name.rfind(" ") + 1, ()


_ONE_COLOUR_PATTERN = re.compile(r"\s+(?:polka\s+)?(?:stripes|pinstripes|dots|polkadots|spots|checks|squares|checked|"
                                 r"checkered|chequered|checkerboard|gingham|chevrons?|zigzags?)\b",
                                 re.IGNORECASE)


# What the corpus's backgrounds are, besides colours, patterns and places: words without these the model cannot
# draw as a background, and it drew murky noise ('dog walking service logo with a paw print': 'service logo')
_BACKGROUND_LOOKS = re.compile(r"\b(?:noise|noisy|mottled|textured?|pattern(?:ed)?|grain|grainy|gradient|radial|ombre|plain|solid|"
                               r"transparent|checks|checked|checkered|chequered|stripes|striped|dots|dotted|spots)\b",
                               re.IGNORECASE)


def draws_as_background(description: str) -> bool:
    """Whether a background's words name what the model draws as one: a colour, a pattern, a look the corpus's
    backgrounds have ('soft noise') or a place ('the sea'); not what the design is for ('service logo')."""
    return bool(colour_spans(description, quoted_ranges(description)) or names_pattern(description)
                or _BACKGROUND_LOOKS.search(description) or _PLACE_WORDS.search(description))


# Grounds for a pattern named in one colour, in order: the first apart from the pattern's colour and the objects'
_PALE_PATTERN_GROUNDS = ("black", "navy", "dark slate grey", "teal")
_PATTERN_GROUNDS = ("white", "black", "light grey", "navy")


def background_in_usual_colour(description: str, seed: int, beside=()) -> str:
    """A background named as a place without a colour in the place's usual one ('the sea' -> 'the blue sea'); a
    pattern in one colour on white, or on black where the colour is near white ('pink stripes' -> 'pink stripes on
    white': its one colour drawn alone, the model strewed others in), or on the next ground apart from the objects'
    colours (`beside`: cream dots went on black under a black car, which vanished), as a place's colour is ('the
    sea' under a blue fish: teal); as it was otherwise."""
    colours = colour_spans(description, quoted_ranges(description))
    if len(colours) == 1 and (_ONE_COLOUR_PATTERN.match(description, colours[0][1]) or (  # 'dotted background in green'
            names_pattern(description) and re.search(r"\bin\s+$", description[:colours[0][0]], re.IGNORECASE))):
        grounds = _PALE_PATTERN_GROUNDS if lab(colours[0][2])[0] > 90 else _PATTERN_GROUNDS
        names = colour_names()
        ground = next((g for g in grounds if stands_apart(names[g], colours[0][2])
                       and all(stands_apart(names[g], rgb) for rgb in beside)), grounds[0])
        return f"{description} on {ground}"
    if not description.strip() or colours or re.search(r"\brainbow\b", description, re.IGNORECASE):
        return description  # a rainbow names its colours ('rainbow stripes')
    places = list(_PLACE_WORDS.finditer(description))
    pattern = _PATTERN_WORD.search(description)
    if pattern and not places:  # no colour at all: the model drew a murky grey-green
        rng = random.Random(seed)
        if pattern.group(1):  # 'a gradient background' -> 'a teal to dodger blue gradient background'
            first, second = rng.choice(_GRADIENT_PAIRS)
            return _with_colour(description, pattern.start(), f"{first} to {second}")
        return _with_colour(description, pattern.start(), rng.choice(BRIGHT)) + " on white"  # 'polka dots'
    if not places:
        return description
    place = next((p for p in places if _name_of(p, _PLACES) not in _SHADES), places[0])  # 'a dark forest': green
    if pattern and pattern.group(1) and _name_of(place, _PLACES) in _PLACE_GRADIENTS:  # 'a sunset gradient' was orange
        first, second = _PLACE_GRADIENTS[_name_of(place, _PLACES)]
        return _with_colour(description, min(place.start(), pattern.start()), f"{first} to {second}")
    colour = _choose(_PLACES[_name_of(place, _PLACES)], seed, None, beside)
    if _name_of(place, _PLACES) in _SHADES:  # 'a dark background': the word is the colour's
        return description[:place.start()] + colour + description[place.end():]
    return _with_colour(description, place.start(), colour)
