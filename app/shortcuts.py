"""Every keyboard shortcut in one list: the menus use the keys, the Help menu lists them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    keys: tuple[str, ...]  # QKeySequence strings ("" for keys handled by a widget)
    label: str  # as shown in the Help list
    describe: str = ""  # how to write the keys when they are not a QKeySequence


FOCUS_SEARCH = Shortcut(("Ctrl+L", "Ctrl+F"), "Go to the search box")
BOOKMARKS = Shortcut(("Ctrl+B",), "Show bookmarks")
# the reading pane's buttons also answer to Alt and their underlined letter (Alt+C is the Corpus menu's)
TOGGLE_BOOKMARK = Shortcut(("Ctrl+D",), "Bookmark the open passage", "Ctrl+D or Alt+B")
COPY_PASSAGE = Shortcut(("Ctrl+Shift+C",), "Copy the open passage", "Ctrl+Shift+C or Alt+O")
TOPIC = Shortcut(("Ctrl+T",), "Choose a topic")
HELPFUL = Shortcut(("Alt+L",), "Mark the open passage helpful")
NOT_HELPFUL = Shortcut(("Alt+N",), "Mark the open passage not helpful")
BIGGER = Shortcut(("Ctrl++", "Ctrl+="), "Bigger text")
SMALLER = Shortcut(("Ctrl+-",), "Smaller text")
DEFAULT_SIZE = Shortcut(("Ctrl+0",), "Default text size")
NIGHT = Shortcut(("Ctrl+Shift+N",), "Night mode on/off (red on black)")
EDIT_CORPUS = Shortcut(("Ctrl+E",), "Edit the corpus")
SETTINGS = Shortcut(("Ctrl+,",), "Settings")
HELP = Shortcut(("F1",), "Keyboard shortcuts")
QUIT = Shortcut(("Ctrl+Q",), "Quit")

# handled by the widgets themselves, listed for the user
SEARCH_NOW = Shortcut((), "Search now (results also appear as you type)", "Enter")
INTO_RESULTS = Shortcut((), "Move through the results", "Down / Up")
OPEN = Shortcut((), "Open the selected result", "Enter")
BACK = Shortcut((), "Back to the search box (in the box: clear it)", "Esc")
CORPUS_KEYS = Shortcut((), "Corpus editor: new, save, delete, undo delete", "Ctrl+N, Ctrl+S, Del, Ctrl+Z")

ALL: tuple[Shortcut, ...] = (
    FOCUS_SEARCH,
    SEARCH_NOW,
    INTO_RESULTS,
    OPEN,
    BACK,
    TOPIC,
    BOOKMARKS,
    TOGGLE_BOOKMARK,
    COPY_PASSAGE,
    HELPFUL,
    NOT_HELPFUL,
    BIGGER,
    SMALLER,
    DEFAULT_SIZE,
    NIGHT,
    EDIT_CORPUS,
    CORPUS_KEYS,
    SETTINGS,
    HELP,
    QUIT,
)


def keys_text(shortcut: Shortcut) -> str:
    return shortcut.describe or " or ".join(shortcut.keys)
