"""The one object a browser session keeps: the active dataset and, later, specs and runs.

Pages get it from `st.session_state` through `ui.state` and change it only through the functions
here, so the rules (a failed load keeps the old dataset, a schema edit is validated) live in one
place and are tested without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mlcore import dataset as ds_ops
from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.generators import GeneratorSpec, generate
from mlcore.loading import load_bytes
from mlcore.profile_report import ProfileRun, ProfileSettings, start_profile
from mlcore.readers import ReadOptions
from mlcore.samples import load_sample
from mlcore.schema import ColumnType, Role, Task


@dataclass
class Workspace:
    """Session state: what is loaded, where it came from, and the last problem to show."""

    dataset: Dataset | None = None
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    upload_id: str | None = None
    problem: MLCoreError | None = None
    revision: int = 0
    profile_settings: ProfileSettings = field(default_factory=ProfileSettings)
    profile_run: ProfileRun | None = None  # the full report: kept here so it survives page switches

    def _apply(self, change: Callable[[], None]) -> bool:
        """Run a change; on an `MLCoreError` keep everything as it was and remember the problem."""
        self.revision += 1
        try:
            change()
        except MLCoreError as exc:
            self.problem = exc
            return False
        self.problem = None
        return True

    def load_upload(
        self, data: bytes, filename: str, options: ReadOptions = ReadOptions(), upload_id: str | None = None
    ) -> bool:
        """Load an uploaded file; on failure the dataset already loaded stays loaded.

        `upload_id` names the upload that produced the dataset, so a page can tell whether the file
        now in its uploader is the one loaded (and offer its sheets) or one that failed.
        """

        def change() -> None:
            dataset, raw = load_bytes(data, filename, options)
            self.dataset, self.sheets, self.sheet = dataset, raw.sheets, raw.sheet
            self.upload_id = upload_id

        return self._apply(change)

    def start_profile(self, settings: ProfileSettings | None = None) -> bool:
        """Start the full report for the current dataset (or take it from the cache); a report still
        running for other data or settings is stopped first, so only one worker runs per session."""
        if self.dataset is None:
            return False

        def change() -> None:
            chosen = settings or self.profile_settings
            run = start_profile(self.dataset, chosen)
            if self.profile_run is not None:
                self.profile_run.stop()
            self.profile_settings, self.profile_run = chosen, run

        return self._apply(change)

    def stop_profile(self) -> None:
        if self.profile_run is not None:
            self.profile_run.stop()

    def load_sample(self, key: str) -> bool:
        def change() -> None:
            self.dataset, self.sheets, self.sheet, self.upload_id = load_sample(key), [], None, None

        return self._apply(change)

    def generate(self, spec: GeneratorSpec) -> bool:
        def change() -> None:
            self.dataset, self.sheets, self.sheet, self.upload_id = generate(spec), [], None, None

        return self._apply(change)

    def _edit(self, edit: Callable[[Dataset], Dataset]) -> bool:
        if self.dataset is None:
            return False

        def change() -> None:
            self.dataset = edit(self.dataset)

        return self._apply(change)

    def set_target(self, name: str | None) -> bool:
        return self._edit(lambda d: ds_ops.set_target(d, name))

    def set_task(self, task: Task) -> bool:
        return self._edit(lambda d: ds_ops.set_task(d, task))

    def set_role(self, column: str, role: Role) -> bool:
        return self._edit(lambda d: ds_ops.set_role(d, column, role))

    def set_type(self, column: str, ctype: ColumnType) -> bool:
        return self._edit(lambda d: ds_ops.set_type(d, column, ctype))

    def set_ignored(self, columns: list[str]) -> bool:
        """Ignore exactly these columns; the others (except the target) become features."""

        def edit(dataset: Dataset) -> Dataset:
            for info in dataset.columns:
                if info.role is Role.TARGET:
                    continue
                wanted = Role.IGNORE if info.name in columns else Role.FEATURE
                if wanted is not info.role:
                    dataset = ds_ops.set_role(dataset, info.name, wanted)
            return dataset

        return self._edit(edit)
