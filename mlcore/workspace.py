"""The one object a browser session keeps: the active dataset and, later, specs and runs.

Pages get it from `st.session_state` through `ui.state` and change it only through the functions
here, so the rules (a failed load keeps the old dataset, a schema edit is validated) live in one
place and are tested without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from mlcore import dataset as ds_ops
from mlcore.compute.jobs import Job, JobSnapshot, JobState
from mlcore.data.database_loading import DatabaseRead, load_database, refresh_read
from mlcore.data.databases import DatabaseSpec
from mlcore.data.generators import GeneratorSpec, generate
from mlcore.data.large_loading import load_bytes_sampled
from mlcore.data.loading import load_bytes
from mlcore.data.readers import ReadOptions
from mlcore.data.samples import load_sample
from mlcore.dataset import Dataset
from mlcore.discover.session import DiscoverSession, data_key
from mlcore.discover.tracking import clustering_analysis
from mlcore.errors import MLCoreError
from mlcore.evaluate.refit import EvaluationState
from mlcore.explain.explainer import GlobalExplanation, explain_worker
from mlcore.explain.shap_values import ExplainSettings
from mlcore.explore.profile_report import ProfileRun, ProfileSettings, start_profile
from mlcore.origin import WholeTable
from mlcore.results import Entry, ResultStore, plain_error
from mlcore.schema import ColumnType, Role, Task
from mlcore.teach.lesson_data import lesson_dataset
from mlcore.teach.lessons import Lesson
from mlcore.teach.paint import painted_dataset
from mlcore.track.history import restore_run
from mlcore.track.project_files import ProjectSettings
from mlcore.track.projects import ProjectInfo
from mlcore.track.recorder import Recorder
from mlcore.train.fit import validate_request
from mlcore.train.models import default_set, models_for
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.runs import ModelChoice, Run, TrainRequest
from mlcore.train.session import TrainingSession, TrainingSnapshot
from mlcore.train.split import SplitSpec
from mlcore.train.tuning import TuneResult, TuneSpec, apply_best, result_from_events, tune, validate_tuning

# Prepare/Train settings that `Workspace.configure` may change.
TRAIN_SETTINGS = frozenset(
    {
        "prep",
        "split",
        "seed",
        "metric",
        "time_budget",
        "model_keys",
        "compare_all",
        "model_params",
        "uncapped",
    }
)
EXPLANATIONS_KEPT = 6  # finished explanations kept per session
OPEN_WAIT_SECONDS = 30.0  # at most, for runs still being saved when a project is opened


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
    # Prepare and Train. `training` holds worker processes: never pickle or cache it.
    prep: PrepSpec = field(default_factory=PrepSpec)
    split: SplitSpec = field(default_factory=SplitSpec)
    seed: int = 0
    model_keys: tuple[str, ...] = ()  # the models chosen by hand
    compare_all: bool = False  # train the task's default set instead
    model_params: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # by (task, model)
    uncapped: frozenset[str] = frozenset()  # super-linear models trained on all rows despite their cap
    time_budget: float | None = None  # seconds per model
    metric: str | None = None  # the leaderboard's main metric (None: the task's default)
    runs: list[Run] = field(default_factory=list)  # every finished run, across trainings and page switches
    repeats: dict[str, bool] = field(default_factory=dict)  # run id → re-run gave identical scores
    training: TrainingSession | None = None
    train_problem: MLCoreError | None = None
    tuning: TuningRun | None = None  # the latest search (a worker process while it runs)
    tune_problem: MLCoreError | None = None
    # Evaluate. `evaluation` may hold worker processes (refit analyses): never pickle or cache it.
    evaluation: EvaluationState = field(default_factory=EvaluationState)
    show_explanations: bool = True  # the learners' "what this means" texts next to metrics and charts
    # Explain, Predict, Export. `explanations` may hold worker processes (slow SHAP runs): never pickle it.
    use_run: str | None = None  # the run chosen on the Explain, Predict and Export pages
    explain_settings: ExplainSettings | None = None  # chosen on the Explain page
    explanations: ResultStore[GlobalExplanation] = field(
        default_factory=lambda: ResultStore(max_entries=EXPLANATIONS_KEPT)
    )  # by (run id, settings): results, errors and running jobs
    # Teach: the lesson being followed and the step it is at.
    lesson: Lesson | None = None
    lesson_step: int = 0
    # Discover. `discover` may hold worker processes (clusterings, t-SNE): never pickle it.
    discover: DiscoverSession = field(default_factory=DiscoverSession)
    imported_models: list[Any] = field(default_factory=list)  # `Predictor`s loaded from .skops bundles
    # Projects: what is kept on disk. `recorder` saves runs and tracks them (None: nothing is kept).
    recorder: Recorder | None = None
    project: ProjectInfo | None = None  # the project this session works in
    store_problem: MLCoreError | None = None  # the latest failure to keep the project on disk
    _projects_by_data: dict[str, ProjectInfo] = field(default_factory=dict)  # dataset hash → its project
    _saved: tuple[Dataset | None, dict[str, Any]] | None = None  # what the project files hold now

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

        return self._apply(change) and self.start_project()

    def load_upload_sample(
        self, data: bytes, filename: str, sample_rows: int | None = None, upload_id: str | None = None
    ) -> bool:
        """An upload too large for memory: DuckDB summarises every row, and a uniform sample (drawn
        with the session's seed) becomes the dataset. Choosing another size for the same file reuses
        the statistics of every row already computed."""

        def change() -> None:
            whole = self._whole_table_of(upload_id)
            self.dataset = load_bytes_sampled(
                data, filename, sample_rows=sample_rows, seed=self.seed, whole=whole
            )
            self.sheets, self.sheet, self.upload_id = [], None, upload_id

        return self._apply(change) and self.start_project()

    def _whole_table_of(self, upload_id: str | None) -> WholeTable | None:
        """The statistics of every row already computed for this upload, if it is the one loaded."""
        loaded = self.dataset
        if upload_id is None or upload_id != self.upload_id or loaded is None or loaded.origin is None:
            return None
        return loaded.origin.whole

    def load_database(self, spec: DatabaseSpec, password: str | None, read: DatabaseRead) -> bool:
        """A database table or query as the dataset (its password is used, never kept); on failure
        the dataset already loaded stays loaded and `problem` says why."""

        def change() -> None:
            self.dataset = load_database(spec, password, read)
            self.sheets, self.sheet, self.upload_id = [], None, None

        return self._apply(change) and self.start_project()

    def refresh_database(self, password: str | None) -> bool:
        """Read the dataset's database rows again (same URL, table or query, limit and sample seed):
        new rows make a new dataset version in a project of its own, as any new data does."""
        if self.dataset is None or self.dataset.origin is None:
            return False

        def change() -> None:
            spec, read = refresh_read(self.dataset.origin, self.seed)
            self.dataset = load_database(spec, password, read)

        return self._apply(change) and self.start_project()

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

        return self._apply(change) and self.start_project()

    def generate(self, spec: GeneratorSpec) -> bool:
        def change() -> None:
            self.dataset, self.sheets, self.sheet, self.upload_id = generate(spec), [], None, None

        return self._apply(change) and self.start_project()

    def load_painted(self, frame: pd.DataFrame, target: str) -> bool:
        """Use a table painted on the Teach page as the dataset, as a generated one is."""

        def change() -> None:
            self.dataset, self.sheets, self.sheet = painted_dataset(frame, target), [], None
            self.upload_id = None

        return self._apply(change) and self.start_project()

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

    def add_column(self, name: str, values: Any, ctype: ColumnType, about: str) -> bool:
        """Add a column (cluster labels, anomaly scores): a new version of the dataset, loaded as a new
        dataset is, in a project of its own; the version before stays in its project."""
        if self.dataset is None:
            return False

        def change() -> None:
            self.dataset = ds_ops.with_column(self.dataset, name, values, ctype, about)
            self.sheets, self.sheet, self.upload_id = [], None, None

        return self._apply(change) and self.start_project()

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

    # ---------- Prepare and Train ----------

    def configure(self, **settings: Any) -> None:
        """Change Prepare/Train settings; widgets redraw from the new values (a new revision)."""
        unknown = set(settings) - TRAIN_SETTINGS
        if unknown:
            raise AttributeError(f"not a training setting: {', '.join(sorted(unknown))}")
        for name, value in settings.items():
            setattr(self, name, value)
        self.train_problem = None
        self.revision += 1

    def model_choices(self) -> tuple[ModelChoice, ...]:
        """The chosen models (or the default set) with their parameters and sample-cap choice."""
        if self.dataset is None or self.dataset.task is None:
            return ()
        task = self.dataset.task
        known = [m.key for m in models_for(task)]
        keys = default_set(task) if self.compare_all else [k for k in self.model_keys if k in known]
        return tuple(
            ModelChoice(k, dict(self.model_params.get((task.value, k), {})), capped=k not in self.uncapped)
            for k in keys
        )

    def train_request(self, models: tuple[ModelChoice, ...] | None = None) -> TrainRequest:
        """The request for the current dataset; settings that do not apply to it are left out
        (imbalance handling on a regression target, a split column the table no longer has)."""
        dataset = self.dataset
        if dataset is None:
            raise MLCoreError("Load a dataset first.", "Start on the Data page.")
        prep = self.prep if dataset.task is Task.CLASSIFICATION else replace(self.prep, imbalance="none")
        names = {c.name for c in dataset.columns}
        split = replace(
            self.split,
            group_column=self.split.group_column if self.split.group_column in names else None,
            time_column=self.split.time_column if self.split.time_column in names else None,
        )
        chosen = self.model_choices() if models is None else models
        return TrainRequest(dataset, prep, split, chosen, self.seed, self.time_budget)

    def start_training(self, models: tuple[ModelChoice, ...] | None = None) -> bool:
        """Start training in worker processes; an input problem is kept in `train_problem` instead."""
        self.stop_training()
        try:
            self.training = TrainingSession(self.train_request(models))
        except MLCoreError as exc:
            self.train_problem = exc
            return False
        self.train_problem = None
        return True

    def poll_training(self) -> TrainingSnapshot | None:
        """The training's state now; runs that finished are added to `runs`."""
        if self.training is None:
            return None
        snapshot = self.training.poll()
        for run in snapshot.runs:
            self._keep_run(run)
        return snapshot

    def stop_training(self) -> None:
        """Stop a running training; finished models stay in `runs`."""
        if self.training is not None:
            for run in self.training.stop().runs:
                self._keep_run(run)

    def current_runs(self) -> list[Run]:
        """The runs made on the current data, target and task, including any that finished while no
        page was polling the training."""
        self.poll_training()
        d = self.dataset
        if d is None:
            return []
        here = _data_key(d)
        return [r for r in self.runs if _run_key(r) == here]

    def clear_runs(self) -> None:
        """Forget the runs on the current data, target and task: the leaderboard the user sees.

        Runs on other datasets stay, so loading one of them again finds its leaderboard. A training
        of this data is stopped first (its finished models would come back otherwise), and what is
        remembered by run id goes with the runs, so a re-trained model starts afresh.
        """
        if self.dataset is None:
            return
        here = _data_key(self.dataset)
        if self.training is not None and _data_key(self.training.request.dataset) == here:
            self.stop_training()
            self.training = None
        self.forget_runs({r.id for r in self.runs if _run_key(r) == here})

    def forget_runs(self, gone: set[str]) -> None:
        """Remove these runs from the session and from the project, with what is kept by run id."""
        self.runs = [r for r in self.runs if r.id not in gone]
        project = None if self.dataset is None else self._projects_by_data.get(self.dataset.content_hash)
        if self.recorder is not None and project is not None:
            try:
                self.recorder.store.delete_runs(project.id, gone)
            except MLCoreError as exc:
                self.store_problem = exc
        self.repeats = {i: same for i, same in self.repeats.items() if i not in gone}
        if self.use_run in gone:
            self.use_run = None
        evaluation = self.evaluation
        if evaluation.selected is not None:
            evaluation.selected = tuple(i for i in evaluation.selected if i not in gone) or None
        evaluation.thresholds = {i: t for i, t in evaluation.thresholds.items() if i not in gone}
        evaluation.analyses.forget(gone)
        self.explanations.forget(lambda key: key[0] in gone)  # (run id, settings)

    def restore_run(self, mlflow_run_id: str) -> Run | None:
        """Bring a run from the project's MLflow history back into the project and the session (it
        joins the leaderboard); None, with the reason in `problem`, when it cannot be."""
        if self.recorder is None or self.recorder.tracker is None or self.project is None:
            return None
        try:
            run = restore_run(self.recorder.tracker, self.recorder.store, self.project.id, mlflow_run_id)
        except MLCoreError as exc:
            self.problem = exc
            return None
        self.runs = [r for r in self.runs if r.id != run.id] + [run]
        self.problem = None
        return run

    def start_tuning(self, spec: TuneSpec) -> bool:
        """Start a search in a worker; input problems go to `tune_problem` before anything starts."""
        self.stop_tuning()
        try:
            request = self.train_request((ModelChoice(spec.model_key, spec.base_params),))
            validate_request(request)
            metric = validate_tuning(request, spec)
        except MLCoreError as exc:
            self.tune_problem = exc
            return False
        self.tune_problem = None
        # The search stops itself between folds when its budget is spent; the hard cap ends a fold
        # that overruns it by far.
        cap = None if spec.time_budget is None else 1.5 * spec.time_budget + 30
        self.tuning = TuningRun(Job(tune, request, spec, time_budget=cap), spec, request, metric)
        return True

    def stop_tuning(self) -> None:
        if self.tuning is not None:
            self.tuning.job.stop()

    def poll_tuning(self) -> tuple[JobSnapshot, TuneResult]:
        """The search now; once it has ended, it is tracked (once) in the project's MLflow experiment."""
        tuning = self.tuning
        snapshot, result = tuning.poll()
        project = self._projects_by_data.get(tuning.request.dataset.content_hash)
        if not snapshot.state.active and not tuning.tracked and project and self.recorder:
            tuning.tracked = True
            self.recorder.record_search(project.id, project.name, tuning.request, result)
        return snapshot, result

    def train_best(self) -> bool:
        """Train the best settings found as a new run, with the data settings the search used;
        the model's widgets take those settings too."""
        if self.tuning is None:
            return False
        try:
            choice = apply_best(self.tuning.poll()[1])
        except MLCoreError as exc:
            self.train_problem = exc
            return False
        task = self.tuning.request.dataset.task.value
        self.configure(model_params={**self.model_params, (task, choice.key): dict(choice.params)})
        self.stop_training()
        try:
            self.training = TrainingSession(replace(self.tuning.request, models=(choice,)))
        except MLCoreError as exc:
            self.train_problem = exc
            return False
        return True

    def _keep_run(self, run: Run) -> None:
        """Add a run (and save it in its project); a re-run with the same settings replaces its twin
        and records whether the scores came out identical. A stopped or failed re-run never replaces
        a finished run."""
        for i, old in enumerate(self.runs):
            if old.id != run.id:
                continue
            if old is run or (old.ok and not run.ok):
                return
            if old.ok:
                self.repeats[run.id] = _same_scores(old, run)
            self.runs[i] = run
            self._record(run)
            return
        self.runs.append(run)
        self._record(run)

    # ---------- projects ----------

    def project_settings(self) -> ProjectSettings:
        """The settings and selections a project reopens with."""
        return ProjectSettings(
            self.prep,
            self.split,
            self.seed,
            self.model_keys,
            self.compare_all,
            self.model_params,
            self.uncapped,
            self.time_budget,
            self.metric,
            self.evaluation.selected,
            self.use_run,
        )

    def start_project(self) -> bool:
        """A new project for the dataset just loaded (when projects are kept); the load stands even
        if the project cannot be written, and the reason is kept in `store_problem`."""
        if self.recorder is None or self.dataset is None:
            return True
        try:
            self.project = self.recorder.store.create(self.dataset, self.project_settings())
        except MLCoreError as exc:
            self.project, self.store_problem = None, exc
            return True
        self._projects_by_data[self.dataset.content_hash] = self.project
        self._saved, self.store_problem = (self.dataset, self.project_settings().to_dict()), None
        return True

    def open_project(self, project_id: str) -> bool:
        """Reopen a project as it was left: its dataset, settings, selections and runs. On failure
        (a deleted project, a damaged file) the session stays as it was and `problem` says why."""
        if self.recorder is None:
            return False

        self.recorder.wait_saved(OPEN_WAIT_SECONDS)  # runs this server finished a moment ago

        def change() -> None:
            state = self.recorder.store.load(project_id)
            self.stop_training()
            self.stop_profile()
            self.dataset, self.sheets, self.sheet, self.upload_id = state.dataset, [], None, None
            kept = {r.id for r in state.runs}
            self.runs = [r for r in self.runs if r.id not in kept] + list(state.runs)
            settings = state.settings
            self.prep, self.split, self.seed = settings.prep, settings.split, settings.seed
            self.model_keys, self.compare_all = settings.model_keys, settings.compare_all
            self.model_params, self.uncapped = dict(settings.model_params), settings.uncapped
            self.time_budget, self.metric = settings.time_budget, settings.metric
            self.evaluation.selected, self.use_run = settings.selected, settings.use_run
            self.project = state.info
            self._projects_by_data[state.dataset.content_hash] = state.info
            self._saved = (state.dataset, settings.to_dict())

        return self._apply(change)

    def close_project(self) -> None:
        """Leave the project (it was deleted): the session starts again from no dataset."""
        if self.project is not None and self.dataset is not None:
            self.clear_runs()
            self._projects_by_data.pop(self.dataset.content_hash, None)
        self.stop_profile()
        self.dataset, self.sheets, self.sheet, self.upload_id = None, [], None, None
        self.project, self._saved = None, None
        self.revision += 1

    def save_state(self) -> None:
        """Write what changed since the last save (schema edits, settings, selections) into the
        project; cheap when nothing did, so it runs after every page run."""
        if self.recorder is None or self.project is None or self.dataset is None or self._saved is None:
            return
        if self._projects_by_data.get(self.dataset.content_hash) is not self.project:
            return  # the dataset is another project's (a training of it finishing, say)
        settings = self.project_settings().to_dict()
        saved_dataset, saved_settings = self._saved
        try:
            if self.dataset is not saved_dataset:
                self.recorder.store.save_dataset(self.project.id, self.dataset)
            if settings != saved_settings:
                self.recorder.store.save_settings(self.project.id, self.project_settings())
        except MLCoreError as exc:
            self.store_problem = exc
            return
        self._saved = (self.dataset, settings)

    def _record(self, run: Run) -> None:
        """Hand a finished run to the recorder, into the project of the data it was trained on."""
        project, dataset = self._projects_by_data.get(run.dataset_hash), self._dataset_of(run)
        if self.recorder is not None and project is not None and dataset is not None:
            self.recorder.record(project.id, project.name, run, dataset)

    def _dataset_of(self, run: Run) -> Dataset | None:
        """The dataset a run was trained on, if this session still holds it."""
        candidates = [self.dataset]
        if self.training is not None:
            candidates.append(self.training.request.dataset)
        return next((d for d in candidates if d is not None and d.content_hash == run.dataset_hash), None)

    # ---------- Explain ----------

    def explanation(self, run: Run, settings: ExplainSettings) -> Entry[GlobalExplanation]:
        """The whole-model explanation of `run`: done, running (with progress), failed, stopped or missing."""
        return self.explanations.poll((run.id, settings))

    def explain_here(
        self, run: Run, settings: ExplainSettings, build: Callable[[], GlobalExplanation]
    ) -> GlobalExplanation:
        """An explanation quick enough to make in this process, kept like a finished job's."""
        return self.explanations.get_or_build((run.id, settings), build)

    def start_explanation(self, run: Run, dataset: Dataset, settings: ExplainSettings) -> None:
        """Explain in a background worker (a slow explanation); `explanation` follows it."""
        self.explanations.start(
            (run.id, settings), explain_worker, run, dataset, settings, error=_unexplained
        )

    def stop_explanation(self, run: Run, settings: ExplainSettings) -> None:
        self.explanations.stop((run.id, settings))

    # ---------- Teach: lessons ----------

    def start_lesson(self, lesson: Lesson) -> bool:
        """Follow `lesson` from its first step (its state prepared as `go_to_step` does)."""
        self.lesson, self.lesson_step = lesson, 0
        return self.go_to_step(0)

    def go_to_step(self, index: int) -> bool:
        """Prepare step `index` of the lesson: load its dataset, if it names one, and start training its
        models; the page then opens the step's page. A step that cannot be prepared keeps the
        lesson where it was and says why in `problem`."""
        if self.lesson is None or not 0 <= index < len(self.lesson.steps):
            return False
        step = self.lesson.steps[index]
        if step.data is not None:
            spec = step.data

            def change() -> None:
                self.dataset, self.sheets, self.sheet = lesson_dataset(spec), [], None
                self.upload_id = None

            if not (self._apply(change) and self.start_project()):
                return False
        chosen = step.settings
        if chosen.seed is not None:
            self.configure(seed=chosen.seed)
        if chosen.test_size is not None or chosen.cv_folds is not None:
            split = replace(
                self.split,
                test_size=self.split.test_size if chosen.test_size is None else chosen.test_size,
                cv_folds=self.split.cv_folds if chosen.cv_folds is None else chosen.cv_folds,
            )
            self.configure(split=split)
        if step.models:
            self.configure(model_keys=step.models, compare_all=False)
            if not self.start_training():
                self.problem = self.train_problem
                return False
        self.lesson_step = index
        return True

    def end_lesson(self) -> None:
        self.lesson, self.lesson_step = None, 0

    # ---------- Discover ----------

    def set_discover(self, **choices: Any) -> None:
        """Choose the clustering algorithm, the anomaly detector or the anomalous rows listed
        (`DiscoverSession` fields); widgets redraw from the new values."""
        for name, value in choices.items():
            if name not in ("algorithm", "detector", "top"):
                raise AttributeError(f"not a Discover choice: {name}")
            setattr(self.discover, name, value)
        self.revision += 1

    def set_discover_param(self, key: str, name: str, value: Any, defaults: dict[str, Any]) -> None:
        """Change one setting of a clustering algorithm or detector; widgets redraw from it."""
        self.discover.set_param(key, name, value, defaults)
        self.revision += 1

    def discovery(self, key: tuple) -> Entry[Any]:
        """A Discover analysis under `key` (`DiscoverSession`'s keys); a clustering seen to finish is
        tracked in MLflow once, in the project of the data it clustered."""
        entry = self.discover.poll(key)
        if entry.state is not JobState.DONE or key[0] != "clusters":
            return entry
        dataset, prep = self.dataset, key[2]  # the key's preprocessing: the steps Discover applied
        project = None if dataset is None else self._projects_by_data.get(dataset.content_hash)
        here = dataset is not None and data_key(dataset) == key[1]
        if self.recorder is not None and project is not None and here and self.discover.newly_finished(key):
            found = entry.result
            self.recorder.record_analysis(
                project.id, project.name, lambda: clustering_analysis(found, dataset, prep)
            )
        return entry


def _unexplained(job: Job) -> MLCoreError:
    """Why a background explanation did not finish, and what to try."""
    return MLCoreError(
        f"The explanation stopped: {plain_error(job).message}", "Try fewer rows, or start it again."
    )


def _data_key(dataset: Dataset) -> tuple[str, str | None, Task | None]:
    """What a leaderboard belongs to: the data, its target and its task."""
    return dataset.content_hash, dataset.target, dataset.task


def _run_key(run: Run) -> tuple[str, str | None, Task | None]:
    return run.dataset_hash, run.target, run.task


def _same_scores(a: Run, b: Run) -> bool:
    """Every CV fold score and holdout score equal (NaN equal to NaN)."""

    def flat(run: Run) -> list[float]:
        folds = [v for k in sorted(run.fold_scores) for v in run.fold_scores[k]]
        return folds + [run.holdout[k] for k in sorted(run.holdout)]

    left, right = flat(a), flat(b)
    if len(left) != len(right):
        return False
    return all(x == y or (x != x and y != y) for x, y in zip(left, right, strict=True))


@dataclass
class TuningRun:
    """A hyperparameter search in a worker, with what is needed to read it and train its best."""

    job: Job
    spec: TuneSpec
    request: TrainRequest
    metric: str
    tracked: bool = False  # handed to MLflow once it ended

    def poll(self) -> tuple[JobSnapshot, TuneResult]:
        """The job now and the trials so far (all of them once it ends, however it ends)."""
        snapshot = self.job.poll()
        if snapshot.state is JobState.DONE:
            return snapshot, snapshot.result
        reasons = {
            JobState.QUEUED: "",
            JobState.RUNNING: "",
            JobState.STOPPED: "stopped by you",
            JobState.TIMED_OUT: "time budget reached",
            JobState.FAILED: snapshot.error or "the search failed",
        }
        return snapshot, result_from_events(self.spec, self.metric, snapshot.events, reasons[snapshot.state])
