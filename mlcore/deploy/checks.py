"""What an imported model file may hold, checked before any of it runs.

skops' allow-list stops arbitrary imports, not malformed content. A scikit-learn `Tree`, a
hist-gradient-boosting `TreePredictor` and an XGBoost booster hold node and feature indices that
native code follows without bounds checks: a loop hangs the process, an index out of range crashes
it. And some node kinds of the skops format call a constructor with arguments of the file's choosing
(`Booster(model_file=PATH)` opens a server file). The functions here refuse all of that; they run in
the model's worker process (`mlcore.deploy.sandbox`), which contains whatever they miss. The checks of
plain data (a bundle's card, the worker's description of its model) run in the server process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import types
from typing import Any, NoReturn

import numpy as np

from mlcore.deploy.input_schema import FeatureSpec, ModelSchema
from mlcore.errors import MLCoreError
from mlcore.schema import ColumnType, Task


class BundleError(MLCoreError):
    """A bundle could not be made or read."""


class UntrustedModelError(BundleError):
    """A .skops file with types outside the allow-list, or with inconsistent structures."""


CRAFTED = "The file is damaged or was crafted; export the model again from the workbench."
TREE = "sklearn.tree._tree.Tree"
PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
NEIGHBOUR_TREES = ("sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree")
BOOSTER = "xgboost.core.Booster"
LEAF = -1  # a child index meaning "no child" in scikit-learn and XGBoost trees
BOOSTER_NODE_ARRAYS = (
    "left_children",
    "right_children",
    "parents",
    "split_indices",
    "split_conditions",
    "split_type",
    "default_left",
    "base_weights",
    "loss_changes",
    "sum_hessian",
)
FEATURE_KINDS = frozenset(k.value for k in ColumnType if k is not ColumnType.IDENTIFIER)
FEATURE_FIELDS = frozenset(f.name for f in dataclasses.fields(FeatureSpec))

_PLAIN = (str, bytes, bytearray, int, float, complex, type(None), np.generic)
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _refuse(message: str) -> NoReturn:
    raise UntrustedModelError(message, CRAFTED)


def _kind(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _attributes(obj: Any) -> dict[str, Any]:
    attributes = getattr(obj, "__dict__", None)
    return attributes if isinstance(attributes, dict) and not isinstance(obj, _OPAQUE) else {}


# ---------- the object graph ----------


def reachable(root: Any) -> list[Any]:
    """Every object reachable from `root` through containers, numpy object arrays, partials and
    attributes (functions and types are listed, not entered). Iterative with a visited set: no depth
    or cycle in a crafted file limits what is looked at."""
    seen: set[int] = set()
    found: list[Any] = []
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, _PLAIN) or id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        stack.extend(_children(obj))
    return found


def _children(obj: Any) -> list[Any]:
    if isinstance(obj, np.ndarray):
        return list(obj.flat) if obj.dtype == object else []
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, functools.partial):
        return [obj.func, *obj.args, *obj.keywords.values(), *_attributes(obj).values()]
    return list(_attributes(obj).values())


# ---------- skops nodes, before anything is constructed ----------


def check_skops_nodes(root: Any) -> None:
    """Refuse the skops node kinds that call a constructor or method with arguments from the file.

    Runs on the node tree skops builds before it constructs anything. Our exports write none of
    those kinds; the one allowed type that reads files when constructed, XGBoost's Booster, may only
    appear as the state it serialises itself to: its model bytes.
    """
    from skops.io import _general as general
    from skops.io import _numpy, _scipy, _sklearn
    from skops.io._audit import CachedNode, Node

    allowed = (
        *(general.DictNode, general.ListNode, general.TupleNode, general.SetNode, general.JsonNode),
        *(general.ObjectNode, general.FunctionNode, general.PartialNode, general.SliceNode),
        *(general.TypeNode, general.BytesNode, general.BytearrayNode, CachedNode, _scipy.SparseMatrixNode),
        *(_numpy.NdArrayNode, _numpy.DTypeNode, _numpy.RandomStateNode, _numpy.RandomGeneratorNode),
        *(_sklearn.TreeNode, _sklearn.LossNode),
    )
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) not in allowed:
            _refuse(
                f"The model file asks to construct an object in a way the workbench never writes "
                f"({type(node).__name__}), so it was not loaded."
            )
        if type(node) is not CachedNode:  # a cached node stands for one checked where it first appears
            _check_node_type(node)
        for child in node.children.values():
            items = (
                child.values() if isinstance(child, dict) else child if isinstance(child, list) else [child]
            )
            stack.extend(item for item in items if isinstance(item, Node))


def _check_node_type(node: Any) -> None:
    from skops.io._numpy import NdArrayNode
    from skops.io._sklearn import LossNode

    name = f"{node.module_name}.{node.class_name}"
    if name == BOOSTER and not _plain_booster(node):
        _refuse(
            "The model file holds an XGBoost booster that is not stored as plain model bytes (it could "
            "make the server open a file), so it was not loaded."
        )
    if type(node) is LossNode and not node.module_name.startswith("sklearn._loss"):
        _refuse(
            "The model file builds a loss function from a type outside scikit-learn's losses, so it was "
            "not loaded."
        )
    if type(node) is NdArrayNode and node.module_name != "numpy":
        _refuse("The model file builds an array from a type outside numpy, so it was not loaded.")


def _plain_booster(node: Any) -> bool:
    from skops.io import _general as general

    attrs = getattr(node, "attrs", None)
    return (
        type(node) is general.ObjectNode
        and type(attrs) is general.DictNode
        and list(attrs.content) == ["handle"]
        and type(attrs.content["handle"]) is general.BytearrayNode
    )


# ---------- the loaded model ----------


def check_model(model: Any) -> None:
    """Refuse a loaded model unless every tree, tree predictor, neighbour index and booster in it is
    sound, and every tree belongs to an estimator whose input width bounds its feature indices."""
    objects = reachable(model)
    facts: dict[int, Any] = {}
    for obj in objects:
        kind = _kind(obj)
        if kind == TREE:
            facts[id(obj)] = _tree_facts(obj)
        elif kind == PREDICTOR:
            facts[id(obj)] = _predictor_facts(obj)
        elif kind in NEIGHBOUR_TREES:
            _check_neighbours(obj)
        elif kind == BOOSTER:
            facts[id(obj)] = _booster_features(obj)
    owned: set[int] = set()
    for obj in objects:
        attributes = _attributes(obj)
        if "tree_" in attributes:
            owned.add(_check_tree_owner(obj, attributes["tree_"], facts))
        if "_predictors" in attributes:
            owned |= _check_predictors_owner(obj, attributes["_predictors"], facts)
        if "estimators_" in attributes:
            _check_ensemble(obj, attributes["estimators_"])
        if "n_features_in_" in attributes:
            _check_booster_owner(obj, attributes, facts)
    for obj in objects:
        if _kind(obj) in (TREE, PREDICTOR) and id(obj) not in owned:
            _refuse(f"The model file holds a {type(obj).__name__} outside any model, so it was not loaded.")


def _links_problem(left: np.ndarray, right: np.ndarray, n: int) -> bool:
    """True unless the inner nodes' children are in [1, n) and no node is entered twice.

    With the root never a child and every other node entered at most once, no cycle is reachable
    from the root: following parents back from any node ends at the root.
    """
    children = np.concatenate([left, right]).astype(np.int64)
    if not children.size:
        return False
    return bool(((children < 1) | (children >= n)).any() or np.bincount(children, minlength=n).max() > 1)


def _refuse_links(what: str) -> NoReturn:
    _refuse(
        f"The model file holds {what} whose node indices point outside it or loop back, so it was not loaded."
    )


def _refuse_features(what: str) -> NoReturn:
    _refuse(
        f"The model file holds {what} that reads feature columns its model does not have, so it was "
        "not loaded."
    )


def _width(obj: Any) -> int:
    """The estimator's input width (`n_features_in_`), which scikit-learn checks every input against."""
    width = _attributes(obj).get("n_features_in_")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        _refuse(
            f"The model file holds a {type(obj).__name__} without a valid number of input features, so "
            "it was not loaded."
        )
    return int(width)


def _tree_facts(tree: Any) -> tuple[int, int]:
    """Check a scikit-learn Tree's structure; its number of features and the largest one it reads."""
    n = tree.node_count
    if not 0 < n == tree.capacity:  # node arrays are views of `node_count` nodes over `capacity`
        _refuse_links("a decision tree")
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    inner = left != LEAF
    if ((right != LEAF) != inner).any() or _links_problem(left[inner], right[inner], n):
        _refuse_links("a decision tree")
    used = feature[inner]
    if used.size and (used.min() < 0 or used.max() >= tree.n_features):
        _refuse_features("a decision tree")
    return int(tree.n_features), int(used.max(initial=-1))


def _check_tree_owner(owner: Any, tree: Any, facts: dict[int, Any]) -> int:
    if _kind(tree) != TREE:
        _refuse(f"The model file holds a {type(owner).__name__} whose tree is not one, so it was not loaded.")
    n_features, used = facts[id(tree)]
    width = _width(owner)
    if n_features != width or used >= width:
        _refuse_features("a decision tree")
    return id(tree)


def _predictor_facts(predictor: Any) -> tuple[int, np.ndarray]:
    """Check a hist-boosting predictor's structure; the largest feature it reads, and the features
    of its categorical splits."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE, X_BITSET_INNER_DTYPE

    kind = "a hist gradient boosting tree"
    nodes = predictor.nodes
    if not (isinstance(nodes, np.ndarray) and nodes.dtype == PREDICTOR_RECORD_DTYPE and nodes.ndim == 1):
        _refuse_links(kind)
    inner = nodes["is_leaf"] == 0
    if not len(nodes) or _links_problem(nodes["left"][inner], nodes["right"][inner], len(nodes)):
        _refuse_links(kind)
    features = nodes["feature_idx"][inner]
    if features.size and features.min() < 0:
        _refuse_features(kind)
    categorical = inner & (nodes["is_categorical"] != 0)
    for bitsets in (predictor.raw_left_cat_bitsets, predictor.binned_left_cat_bitsets):
        if not (
            isinstance(bitsets, np.ndarray)
            and bitsets.dtype == X_BITSET_INNER_DTYPE
            and bitsets.ndim == 2
            and bitsets.shape[1] == 8  # 256 categories, one bit each
            and (nodes["bitset_idx"][categorical] < len(bitsets)).all()
        ):
            _refuse(
                f"The model file holds {kind} whose category bitset indices point outside it, so it "
                "was not loaded."
            )
    return int(features.max(initial=-1)), np.unique(nodes["feature_idx"][categorical])


def _check_predictors_owner(owner: Any, predictors: Any, facts: dict[int, Any]) -> set[int]:
    """The predictors of a hist-boosting estimator read at most its input width, and split on categories
    only where its bin mapper knows the feature as categorical (the row of its known-category bitsets)."""
    if not (isinstance(predictors, list) and all(isinstance(row, list) for row in predictors)):
        _refuse(
            f"The model file holds a {type(owner).__name__} whose trees are not a list, so it was not loaded."
        )
    if _attributes(owner).get("_preprocessor") is not None:  # its output is not checked against the width
        _refuse(
            f"The model file holds a {type(owner).__name__} with a preprocessing step of its own, which the "
            "workbench never writes, so it was not loaded."
        )
    width = _width(owner)
    flags = _attributes(_attributes(owner).get("_bin_mapper")).get("is_categorical_")
    if not (isinstance(flags, np.ndarray) and flags.shape == (width,)):
        _refuse(
            f"The model file holds a {type(owner).__name__} whose categorical features do not match its "
            "input, so it was not loaded."
        )
    owned = set()
    for predictor in (p for row in predictors for p in row):
        if _kind(predictor) != PREDICTOR:
            _refuse(
                f"The model file holds a {type(owner).__name__} with a tree that is not one, so it was "
                "not loaded."
            )
        used, categorical = facts[id(predictor)]
        if used >= width:
            _refuse_features("a hist gradient boosting tree")
        if not flags[categorical].all():
            _refuse(
                "The model file holds a hist gradient boosting tree with a categorical split on a feature "
                "that is not categorical, so it was not loaded."
            )
        owned.add(id(predictor))
    return owned


def _check_ensemble(owner: Any, members: Any) -> None:
    """Members of an ensemble get the ensemble's (checked) input, often without checking it again: none
    may be wider. GradientBoosting's 2-D array has one column per raw prediction it adds to."""
    if isinstance(members, np.ndarray):
        trees = _attributes(owner).get("n_trees_per_iteration_")
        if members.ndim != 2 or (trees is not None and members.shape[1] != trees):
            _refuse(
                f"The model file holds a {type(owner).__name__} whose trees do not match its outputs, so "
                "it was not loaded."
            )
        members = list(members.flat)
    if not isinstance(members, (list, tuple)):
        return
    widths = [_width(m) for m in members if "n_features_in_" in _attributes(m)]
    if widths and max(widths) > _width(owner):
        _refuse_features(f"a {type(owner).__name__}")


def _check_neighbours(tree: Any) -> None:
    data, index, nodes = tree.data, np.asarray(tree.idx_array), np.asarray(tree.node_data)
    m = len(data)
    if (
        len(index) != m
        or ((index < 0) | (index >= m)).any()
        or ((nodes["idx_start"] < 0) | (nodes["idx_end"] > m) | (nodes["idx_start"] > nodes["idx_end"])).any()
    ):
        _refuse_links(f"a {type(tree).__name__}")


# ---------- XGBoost ----------


def _booster_features(booster: Any) -> int:
    """The booster's number of features, from the JSON XGBoost dumps of the model it has in memory."""
    try:
        doc = json.loads(bytes(booster.save_raw("json")))
    except Exception:  # XGBoost's own errors, or JSON we cannot parse: either way not a usable model
        _refuse_booster()
    return check_booster_json(doc)


def _refuse_booster(what: str = "a model the workbench can check") -> NoReturn:
    _refuse(f"The model file holds an XGBoost booster that is not {what}, so it was not loaded.")


def _check_booster_owner(owner: Any, attributes: dict[str, Any], facts: dict[int, Any]) -> None:
    """An estimator holding a booster (directly, or through an XGBoost model) reads as many features."""
    for value in attributes.values():
        booster = value if _kind(value) == BOOSTER else _attributes(value).get("_Booster")
        if _kind(booster) == BOOSTER and facts[id(booster)] != _width(owner):
            _refuse_features("an XGBoost booster")


def check_booster_json(doc: Any) -> int:
    """The number of features of a booster's JSON model; refused unless it is a tree booster whose
    counts agree and every tree is sound: declared lengths, children in range, no cycle, split
    features below `num_feature`, categorical splits inside their arrays."""
    try:
        return _booster_json_features(doc)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError):
        _refuse_booster()


def _booster_json_features(doc: Any) -> int:
    learner = doc["learner"]
    params = learner["learner_model_param"]
    n_features = int(params["num_feature"])
    groups = max(int(params["num_class"]), int(params["num_target"]), 1)
    if learner["gradient_booster"]["name"] != "gbtree":
        _refuse_booster("a tree booster")
    model = learner["gradient_booster"]["model"]
    trees, info = model["trees"], [int(group) for group in model["tree_info"]]
    count = int(model["gbtree_model_param"]["num_trees"])
    rounds = np.asarray(model["iteration_indptr"], dtype=np.int64)
    if not (
        isinstance(trees, list)
        and len(trees) == count == len(info)
        and all(0 <= group < groups for group in info)
        and rounds.ndim == 1
        and rounds.size
        and rounds[0] == 0
        and rounds[-1] == count
        and (np.diff(rounds) >= 0).all()
    ):
        _refuse_booster("consistent in its number of trees")
    if any(model.get("cats", {}).get(name) for name in ("enc", "feature_segments", "sorted_idx")):
        _refuse_booster("free of category re-coding (the workbench never writes it)")
    for tree in trees:
        _check_booster_tree(tree, n_features)
    return n_features


def _check_booster_tree(tree: dict[str, Any], n_features: int) -> None:
    param = tree["tree_param"]
    n = int(param["num_nodes"])
    if n < 1 or int(param["num_feature"]) != n_features or int(param["size_leaf_vector"]) > 1:
        _refuse_booster("consistent in its sizes")
    arrays = {name: np.asarray(tree[name]) for name in BOOSTER_NODE_ARRAYS}
    if any(array.shape != (n,) for array in arrays.values()):
        _refuse_booster("consistent in its array lengths")
    left, right = arrays["left_children"].astype(np.int64), arrays["right_children"].astype(np.int64)
    inner = left != LEAF
    if ((right != LEAF) != inner).any() or _links_problem(left[inner], right[inner], n):
        _refuse_links("an XGBoost booster tree")
    parents, at = arrays["parents"].astype(np.int64), np.flatnonzero(inner)
    if (parents[left[inner]] != at).any() or (parents[right[inner]] != at).any():
        _refuse_links("an XGBoost booster tree")
    split = arrays["split_indices"].astype(np.int64)[inner]
    if split.size and (split.min() < 0 or split.max() >= n_features):
        _refuse_features("an XGBoost booster")
    split_type = arrays["split_type"].astype(np.int64)
    if not (np.isin(split_type, (0, 1)).all() and np.isin(arrays["default_left"], (0, 1)).all()):
        _refuse_booster("consistent in its split types")
    _check_booster_categories(tree, n, split_type)


def _check_booster_categories(tree: dict[str, Any], n: int, split_type: np.ndarray) -> None:
    nodes, starts, sizes = (
        np.asarray(tree[name], dtype=np.int64)
        for name in ("categories_nodes", "categories_segments", "categories_sizes")
    )
    categories = np.asarray(tree["categories"], dtype=np.int64)
    m = len(nodes)
    if not (
        nodes.shape == starts.shape == sizes.shape == (m,)
        and np.array_equal(np.sort(nodes), np.flatnonzero(split_type == 1))
        and (m == 0 or (nodes.min() >= 0 and nodes.max() < n))
        and (starts >= 0).all()
        and (sizes >= 0).all()
        and (starts + sizes <= len(categories)).all()
        and (categories >= 0).all()
    ):
        _refuse_booster("consistent in its categorical splits")


# ---------- plain data: a bundle's card, the worker's description ----------


def schema_from_data(data: Any, what: str) -> ModelSchema:
    """The `ModelSchema` that plain data describes, refused with a plain message unless every field has
    the type the Predict page and `predict_frame` rely on."""
    problem = _schema_problem(data)
    if problem:
        raise BundleError(
            f"The {what} is not valid: {problem}.", "Export the model again from the workbench."
        )
    return ModelSchema.from_dict(data)


def _schema_problem(data: Any) -> str:
    if not isinstance(data, dict):
        return "it is not a JSON object"
    if not isinstance(data.get("target"), str):
        return "it names no target column"
    if data.get("task") not in {task.value for task in Task}:
        return "its task is neither classification nor regression"
    classes = data.get("classes")
    if classes is not None and not (isinstance(classes, list) and all(map(_is_label, classes))):
        return "its classes are not a list of labels"
    features = data.get("features")
    if not (isinstance(features, list) and features):
        return "it lists no feature columns"
    for number, feature in enumerate(features, start=1):
        problem = _feature_problem(feature)
        if problem:
            return f"feature {number} {problem}"
    names = [feature["name"] for feature in features]
    return "two features have the same name" if len(set(names)) != len(names) else ""


def _feature_problem(feature: Any) -> str:
    if not isinstance(feature, dict):
        return "is not a JSON object"
    if not set(feature) <= FEATURE_FIELDS:
        return "has fields a model card does not have"
    if not all(isinstance(feature.get(key), str) for key in ("name", "kind", "dtype")):
        return "lacks a name, a kind or a dtype"
    if feature["kind"] not in FEATURE_KINDS:
        return "has an unknown kind"
    if not all(feature.get(key) is None or _is_number(feature[key]) for key in ("low", "high")):
        return "has a range that is not numbers"
    levels = feature.get("levels", [])
    if not (isinstance(levels, list) and all(isinstance(level, str) for level in levels)):
        return "has levels that are not text"
    if not _default_fits(feature["kind"], feature.get("default")):
        return "has a typical value of the wrong type"
    return ""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_label(value: Any) -> bool:
    return isinstance(value, (str, bool)) or _is_number(value)


def _default_fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == ColumnType.NUMERIC:
        return _is_number(value)
    if kind == ColumnType.BOOLEAN:
        return isinstance(value, bool)
    if kind == ColumnType.DATETIME:
        try:
            dt.date.fromisoformat(value[:10])
        except (TypeError, ValueError):
            return False
    return isinstance(value, str)
