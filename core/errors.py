"""The small error hierarchy that the CLI and the GUI turn into clear messages."""

from __future__ import annotations


class SurvivalSearchError(Exception):
    """Base class of every error the user should see as a message, not a traceback."""


class CorpusError(SurvivalSearchError):
    """The corpus database cannot be opened, read or written."""


class CorpusCorruptError(CorpusError):
    """The database file is damaged or is not a Survival Search corpus."""


class CorpusBusyError(CorpusError):
    """Another process holds the corpus for writing."""


class CorpusWriteError(CorpusError):
    """A write was refused (disk full, read-only file); nothing was changed."""


class ValidationError(SurvivalSearchError):
    """User input (a passage, a query) is not acceptable as given."""


class ImportFileError(SurvivalSearchError):
    """One file could not be imported (binary, empty, undecodable, malformed)."""


class ModelError(SurvivalSearchError):
    """A model folder is missing, incomplete or not a usable model."""


class TrainingError(SurvivalSearchError):
    """Training could not start or finish."""


class CorpusDamagedError(CorpusCorruptError):
    """The corpus file cannot be opened as a corpus; ``path`` was left untouched.

    ``backups`` lists the :class:`core.safety.BackupInfo` of its backups, newest first, so a
    window can offer "restore the latest backup" or "start from the built-in corpus".
    """

    def __init__(self, message: str, path: object = None, backups: list | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.backups = backups or []


class ExportError(SurvivalSearchError):
    """An export could not be written; the destination was left as it was."""
