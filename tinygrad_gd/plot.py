"""The documents' pictures, made from real training runs: `tg.plot` (the `plot` extra).

Every picture comes in two halves:

* a data function (in `plot_data.py`, re-exported here), NumPy and the framework
  only, that computes what the picture shows
  and returns it as a dict: `error_curve_data` (error against one weight, with the slope
  from `backward()`), `error_surface_data` (error over two weights, and a training run's
  path on it), `weight_images_data` (each output's weights as an image),
  `dot_similarity_data` (dot products of vectors) and `training_curves_data` (loss or
  accuracy per epoch);
* a drawing function that turns that data into a matplotlib `Figure` and, given `path`,
  writes it: `error_curves`, `error_bowl`, `weight_images`, `dot_similarity`,
  `training_curves`.

A loss is given as a function of the weights, `loss_fn(weights) -> scalar Tensor`;
`weight_loss` makes one from a network function, data and a loss, `parameter_loss` from
an `nn.Module` and the name of one of its parameters.

Importing this module does not import matplotlib: only the drawing functions do, and
without it they raise ModuleNotFoundError saying which extra to install. Figures are
built with `matplotlib.figure.Figure` directly, not pyplot, so no window opens and no
global backend is set; files are written by the Agg renderer.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .files import as_path, atomic_write
from .plot_data import (LossFn, PathLike, Series, _check_index, _weights_array,
                        dot_similarity_data, error_curve_data, error_surface_data,
                        parameter_loss, training_curves_data, weight_images_data, weight_loss)

__all__ = [
    "INSTALL_HINT", "available", "weight_loss", "parameter_loss",
    "error_curve_data", "error_surface_data", "weight_images_data", "dot_similarity_data",
    "training_curves_data",
    "error_curves", "error_bowl", "weight_images", "dot_similarity", "training_curves",
    "save_figure",
]

INSTALL_HINT = 'pip install "tinygrad_gd[plot]"'
_DPI = 120
# The documentation's column shows a picture at 861 px: one at most this wide (1152 px at
# _DPI) keeps the smallest text, _SMALLEST_PT, at 10 px there. Wider figures put their
# panels in rows.
_WIDTH_IN = 9.6
_SMALLEST_PT = 8


# Drawing: matplotlib, imported only here


def available() -> str | None:
    """None when pictures can be drawn here; otherwise why not, with the install hint."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as err:
        return f"matplotlib is not installed ({err}); install the extra: {INSTALL_HINT}"
    return None


def _new_figure(where: str, **options: Any) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ModuleNotFoundError(
            f"tinygrad_gd.plot.{where}: drawing needs matplotlib, which is not installed "
            f"({err}); install the extra: {INSTALL_HINT}", name="matplotlib") from None
    return Figure(layout="constrained", **options)


def save_figure(figure: Any, path: PathLike) -> Path:
    """Write `figure` to `path` (format from the suffix, e.g. .png or .svg); returns it.

    Written atomically (`tinygrad_gd.files`): an interrupted run leaves the previous
    picture or none, never a truncated one.
    """
    path = as_path(path, "save_figure")  # 42, None, "": one line; `~` the home folder
    kind = path.suffix[1:].lower() or None  # None: matplotlib's default format
    return atomic_write(path, lambda file: figure.savefig(file, format=kind, dpi=_DPI),
                        "save_figure", example=f"figure.{kind or 'png'}")


def _finish(figure: Any, title: str, path: PathLike | None) -> Any:
    if title:  # (wrapped to the figure's width: a narrow figure keeps a long title)
        figure.suptitle(title, fontsize=11, wrap=True)
    if path is not None:
        save_figure(figure, path)
    return figure


def _panels(figure: Any, count: int, per_row: int) -> list[Any]:
    """`count` axes in rows of at most `per_row`, a shorter last row centred."""
    columns = min(count, per_row)
    grid = figure.add_gridspec(-(-count // columns), 2 * columns)  # half-panel steps
    axes = []
    for k in range(count):
        row, column = divmod(k, columns)
        start = 2 * column + columns - min(columns, count - row * columns)
        axes.append(figure.add_subplot(grid[row, start:start + 2]))
    return axes


def _stage_colours(count: int) -> list[Any]:
    """Light to dark for the stages of training: the last is the trained state."""
    from matplotlib import colormaps
    if count == 2:
        return ["tab:orange", "tab:blue"]
    return [colormaps["viridis"](0.85 - 0.75 * k / max(count - 1, 1)) for k in range(count)]


def error_curves(loss_fn: LossFn, stages: Mapping[str, Any], *,
                 names: Sequence[str] | None = None, frozen: Sequence[Any] = (),
                 span: float = 0.5, ylim: float | None = None, error_label: str = "error",
                 title: str = "", path: PathLike | None = None) -> Any:
    """One panel per weight (three a row): its error curve, the weight as a dot, the slope
    as a tangent.

    `stages` maps a label ("before training", "after 3 iterations") to the full weights
    at that point of a training run; each stage draws its own curve (the others held at
    that stage's values: one grey curve over all their ranges where every stage holds the
    others alike, as with one weight), dot and dotted tangent, so the panels show how training moved
    the dots down the curves. All panels share one y-axis and one x-width (2 * span),
    so a weight whose input is larger shows a steeper curve. `frozen` lists indices of
    weights that training did not move (their panel says so). `ylim` caps the y-axis
    (default: the gentlest panel's highest error).
    """
    where = "error_curves"
    if not isinstance(stages, Mapping) or not stages:
        raise TypeError(f"{where}: stages must map labels to weights, e.g. "
                        f"{{'before training': [0.1, 0.2, -0.1]}}")
    shape = _weights_array(next(iter(stages.values())), where).shape
    entries = list(range(shape[0])) if len(shape) == 1 else list(np.ndindex(shape))
    if names is not None and len(names) != len(entries):
        raise ValueError(f"{where}: {len(names)} names given for {len(entries)} weights")
    curves = [[error_curve_data(loss_fn, weights, entry, span=span)
               for weights in stages.values()] for entry in entries]
    if ylim is None:
        ylim = min(max(float(c["errors"].max()) for c in panel) for panel in curves)
    frozen_entries = {_check_index(i, shape, where) for i in frozen}

    columns = min(len(entries), 3)
    rows = -(-len(entries) // columns)
    legend_in = 0.32 * (len(stages) + 1)  # two lines an entry, then the tangent's
    figure = _new_figure(where, figsize=(min(4.4, _WIDTH_IN / columns) * columns,
                                         0.6 + rows * (3.2 + legend_in)))
    axes = _panels(figure, len(entries), columns)
    colours = _stage_colours(len(stages))
    held = [_weights_array(weights, where) for weights in stages.values()]
    for k, (ax, entry, panel) in enumerate(zip(axes, entries, curves)):
        if _one_curve(held, entry):  # one curve over every stage's range, not stubs of two
            values = np.concatenate([curve["values"] for curve in panel])
            order = np.argsort(values, kind="stable")
            ax.plot(values[order], np.concatenate([c["errors"] for c in panel])[order],
                    color="dimgrey", lw=1.8, label="error curve (the same at every stage)")
        for label, colour, curve in zip(stages, colours, panel):
            if not _one_curve(held, entry):
                ax.plot(curve["values"], curve["errors"], color=colour, lw=1.8)
            near = np.abs(curve["values"] - curve["weight"]) <= 0.3 * span
            ax.plot(curve["values"][near], curve["tangent"][near], ":", color="black",
                    lw=1.4)
            ax.plot(curve["weight"], curve["error"], "o", color=colour, ms=8,
                    markeredgecolor="black", zorder=3,
                    label=f"{label}:\nw={curve['weight']:.4g}, slope {curve['slope']:.4g}")
        name = names[k] if names is not None else f"weight {entry}".replace(" ()", "")
        if entry in frozen_entries:
            name += " (frozen)"
        ax.set_title(name, fontsize=10)
        ax.set_ylim(-0.04 * ylim, 1.08 * ylim)
        ax.set_xlabel("weight value")
        ax.axhline(0, color="grey", lw=0.6)
        ax.grid(alpha=0.3)
    for ax in axes[::columns]:
        ax.set_ylabel(error_label)
    axes[-1].plot([], [], ":", color="black", label="tangent: slope from backward()")
    for ax in axes:  # below each panel, where they hide no curve
        ax.legend(fontsize=_SMALLEST_PT, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return _finish(figure, title, path)


def _one_curve(held: Sequence[np.ndarray], entry: Any) -> bool:
    """Whether every stage holds the other weights at the same values, so that all stages
    draw one error curve for `entry` (one weight alone, or the others frozen)."""
    others = [np.delete(weights.ravel(), np.ravel_multi_index(np.atleast_1d(entry),
                                                              weights.shape)) for weights in held]
    return len(held) > 1 and all(np.array_equal(others[0], rest) for rest in others[1:])


def error_bowl(loss_fn: LossFn, weights: Any, trajectory: Sequence[Any], *,
               indices: Sequence[Any] = (0, 1), names: Sequence[str] = ("weight 1",
                                                                        "weight 2"),
               span: float | None = None, num: int = 61, error_label: str = "error",
               title: str = "", path: PathLike | None = None) -> Any:
    """The error over two weights as a surface and as contours, with training's path.

    `weights` holds the other weights' values (e.g. the trained ones); `trajectory` is
    the full weights at the start and after each step of the run, drawn as dots joined
    by arrows, from the first (hollow) to the last (filled). The legend gives the value
    drawn at both ends under `error_label`'s name (its words before " = ": "loss" for
    "loss = (pred - target)**2").
    """
    data = error_surface_data(loss_fn, weights, indices, trajectory=trajectory, span=span,
                              num=num)
    figure = _new_figure("error_bowl", figsize=(_WIDTH_IN, 4.2))
    from matplotlib.ticker import MaxNLocator
    # each in a half of its own: the 3-D axes' labels reach past their box, where the
    # layout does not see them, and ran into the contours' at this width
    surface_part, contour_part = figure.subfigures(1, 2)
    surface_ax = surface_part.add_subplot(projection="3d")
    contour_ax = contour_part.add_subplot()
    grid_x, grid_y = np.meshgrid(data["x"], data["y"])

    surface_ax.plot_surface(grid_x, grid_y, data["errors"], cmap="viridis", alpha=0.75,
                            linewidth=0, antialiased=True)
    surface_ax.plot(data["path_x"], data["path_y"], data["path_errors"], "o-", color="red",
                    ms=4, lw=1.5, zorder=5)
    surface_ax.set_xlabel(names[0], fontsize=_SMALLEST_PT)
    surface_ax.set_ylabel(names[1], fontsize=_SMALLEST_PT)
    surface_ax.set_zlabel(error_label, fontsize=_SMALLEST_PT)
    surface_ax.tick_params(labelsize=_SMALLEST_PT)
    for axis in (surface_ax.xaxis, surface_ax.yaxis, surface_ax.zaxis):
        axis.set_major_locator(MaxNLocator(5))  # (eight of them ran into each other)
    surface_ax.view_init(elev=30, azim=-60)
    surface_ax.set_box_aspect(None, zoom=0.85)  # its labels inside its half

    # levels crowd towards the bottom, where training ends and the shape matters most
    low, high = data["errors"].min(), data["errors"].max()
    levels = low + (high - low) * np.linspace(0.0, 1.0, 16) ** 2
    filled = contour_ax.contourf(grid_x, grid_y, data["errors"], levels=levels,
                                 cmap="viridis")
    contour_ax.contour(grid_x, grid_y, data["errors"], levels=levels, colors="white",
                       linewidths=0.4)
    figure.colorbar(filled, ax=contour_ax, label=error_label, format="%.2g")
    xs, ys = data["path_x"], data["path_y"]
    for k in range(len(xs) - 1):
        contour_ax.annotate("", xy=(xs[k + 1], ys[k + 1]), xytext=(xs[k], ys[k]),
                            arrowprops={"arrowstyle": "->", "color": "red", "lw": 1.5})
    drawn = error_label.split(" = ")[0].strip() or "error"  # "loss", where that is drawn
    if len(xs):
        contour_ax.plot(xs[0], ys[0], "o", mfc="white", mec="red", ms=8,
                        label=f"start: {drawn} {data['path_errors'][0]:.4g}")
        contour_ax.plot(xs[-1], ys[-1], "o", color="red", ms=8,
                        label=f"after {len(xs) - 1} steps: {drawn} "
                              f"{data['path_errors'][-1]:.4g}")
        contour_ax.legend(fontsize=_SMALLEST_PT, loc="upper right")
    contour_ax.set_xlabel(names[0])
    contour_ax.set_ylabel(names[1])
    contour_ax.set_aspect("equal")
    return _finish(figure, title, path)


def weight_images(weight: Any, *, initial: Any | None = None,
                  labels: Sequence[str] | None = None, shape: tuple[int, int] = (28, 28),
                  title: str = "", path: PathLike | None = None) -> Any:
    """Each output's weights as an image, in rows of at most 5: red positive, blue negative.

    One colour scale per group, symmetric about zero, so zero is white in every image
    and the images of a group can be compared. Given the `initial` weights (before
    training), a second group below shows what training changed, `weight - initial`:
    the random start no longer hides it, and inputs that were always 0 stay white.
    """
    rows = {"trained weights": weight_images_data(weight, shape)}
    if initial is not None:
        start = weight_images_data(initial, shape)["images"]
        if start.shape != rows["trained weights"]["images"].shape:
            raise ValueError(f"weight_images: initial weights of shape {np.shape(initial)} "
                             f"for weights of shape {np.shape(weight)}; they must match")
        change = rows["trained weights"]["images"] - start
        rows["change by training (trained - initial)"] = {
            "images": change, "limit": float(np.abs(change).max())}
    count = len(rows["trained weights"]["images"])
    labels = list(labels) if labels is not None else [str(k) for k in range(count)]
    if len(labels) != count:
        raise ValueError(f"weight_images: {len(labels)} labels for {count} outputs")

    columns = min(count, 5)  # ten in one row were 1932 px wide: text shrank to 6 px
    lines = -(-count // columns)
    figure = _new_figure("weight_images", figsize=(1.45 * columns + 1.2,
                                                   0.6 + (0.4 + 1.75 * lines) * len(rows)))
    for group, (group_name, data) in zip(figure.subfigures(len(rows), 1, squeeze=False)[:, 0],
                                         rows.items()):
        group.suptitle(group_name, fontsize=10, fontweight="bold")
        axes = group.subplots(lines, columns, squeeze=False).reshape(-1)
        limit = data["limit"] or 1.0
        for ax, image, label in zip(axes, data["images"], labels):
            shown = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(label, fontsize=10)
        for ax in axes[count:]:
            ax.set_axis_off()
        group.colorbar(shown, ax=list(axes), shrink=0.85, label="weight")
    return _finish(figure, title, path)


def _annotated_table(ax: Any, table: np.ndarray, rows: Sequence[str],
                     columns: Sequence[str], cmap: str, limit: float) -> None:
    ax.imshow(table, cmap=cmap, vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(table):
        dark = abs(value) > 0.6 * limit  # white on the strong colours, black elsewhere
        ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=10,
                color="white" if dark else "black")
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(rows)), rows)


def dot_similarity(vectors: Mapping[str, Any], *, templates: Mapping[str, Any] | None = None,
                   inputs: Mapping[str, Any] | None = None, shape: tuple[int, int] = (28, 28),
                   title: str = "", path: PathLike | None = None) -> Any:
    """Dot products as similarity: the vectors, their table of dot products, and, with
    `templates` (e.g. each digit's weights) and `inputs` (e.g. images), the score each
    input gets from each template, drawn as bars beside the input's image."""
    table = dot_similarity_data(vectors)
    scored = dot_similarity_data(templates, inputs) if templates is not None and inputs \
        else None
    figure = _new_figure("dot_similarity", figsize=(10, 3.4 if scored is None else 6.8))
    parts = figure.subfigures(1 if scored is None else 2, 1, squeeze=False)[:, 0]

    left, right = parts[0].subplots(1, 2, width_ratios=[1, 1])
    limit = float(np.abs(table["vectors"]).max()) or 1.0
    _annotated_table(left, table["vectors"], table["names"],
                     [str(k) for k in range(table["vectors"].shape[1])], "PuOr_r", limit)
    left.set_title("the vectors", fontsize=10)
    limit = float(np.abs(table["scores"]).max()) or 1.0
    _annotated_table(right, table["scores"], table["names"], table["names"], "Greens",
                     1.6 * limit)
    right.set_title("dot product of row and column", fontsize=10)

    if scored is not None:
        n = len(scored["against_names"])
        axes = parts[1].subplots(1, 2 * n, width_ratios=[1, 2.2] * n)
        for k, name in enumerate(scored["against_names"]):
            image_ax, bar_ax = axes[2 * k], axes[2 * k + 1]
            image_ax.imshow(scored["against"][k].reshape(shape), cmap="gray_r")
            image_ax.set_title(f"input: {name}", fontsize=10)
            image_ax.set_xticks([])
            image_ax.set_yticks([])
            scores = scored["scores"][:, k]
            colours = ["tab:green" if s == scores.max() else "tab:grey" for s in scores]
            bar_ax.bar(scored["names"], scores, color=colours)
            bar_ax.axhline(0, color="black", lw=0.6)
            bar_ax.set_title("score = weights . input", fontsize=10)
            bar_ax.set_xlabel("output (weights of digit)")
    return _finish(figure, title, path)


def training_curves(panels: Mapping[str, Mapping[str, Series]], *,
                    xlabel: str | Sequence[str] = "epoch",
                    ylabel: str | Sequence[str] | None = None, log_y: Sequence[str] = (),
                    title: str = "", path: PathLike | None = None) -> Any:
    """Loss (and accuracy, ...) per epoch: one panel per entry of `panels`, two a row.

    `panels` is what `training_curves_data` takes: {panel: {curve label: values}}. The
    panel's key is its y-axis label; given `ylabel` (one for all panels or one each),
    the key becomes the panel's title instead. A curve of one point (a test accuracy)
    is drawn as a star with its value. Panels named in `log_y` get a log y-axis.
    """
    data = training_curves_data(panels)
    columns = min(len(data), 2)  # three in a row were 1728 px wide: legends shrank to 5 px
    rows = -(-len(data) // columns)
    figure = _new_figure("training_curves", figsize=(4.8 * columns, 0.6 + 3.3 * rows))
    from matplotlib.ticker import MaxNLocator
    x_labels = _per_panel(xlabel, len(data), "x labels")
    y_labels = list(data) if ylabel is None else _per_panel(ylabel, len(data), "y labels")
    axes = _panels(figure, len(data), columns)
    for ax, (panel, curves), x_label, y_label in zip(axes, data.items(), x_labels, y_labels):
        for label, (x, y) in curves.items():
            if y.size == 1:
                ax.plot(x, y, "*", ms=13, label=f"{label}: {y[0]:.4g}")
            else:
                ax.plot(x, y, "o-" if y.size <= 30 else "-", ms=4, lw=1.6,
                        label=f"{label} (last {y[-1]:.4g})")
        if ylabel is not None:
            ax.set_title(panel, fontsize=10)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
        if panel in log_y:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=_SMALLEST_PT)
    return _finish(figure, title, path)


def _per_panel(labels: str | Sequence[str], count: int, what: str) -> list[str]:
    labels = [labels] * count if isinstance(labels, str) else list(labels)
    if len(labels) != count:
        raise ValueError(f"training_curves: {len(labels)} {what} for {count} panels; give "
                         f"one for all or one per panel")
    return labels
