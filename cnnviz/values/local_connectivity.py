"""Values of the ``local_connectivity`` scene: how many weights one neuron, and one layer, needs."""

from __future__ import annotations

from ..config import LocalConnectivityParams
from ..shapes import conv_output_size
from . import SceneValues


def grouped(n: int) -> str:
    """A count as written on screen: digits grouped by thousands (10,000)."""
    return f"{int(n):,}"


def compute(p: LocalConnectivityParams) -> SceneValues:
    n, k = p.image_size, p.window
    side = conv_output_size(n, k)  # window positions along one axis (stride 1, no padding)
    counts = {
        "pixels": n * n,  # inputs of one fully connected neuron = its weights
        "fc_neuron": n * n,
        "local_neuron": k * k,  # one neuron that sees a k x k window
        "positions": side * side,  # neurons of the feature map, one per window position
        "local_no_sharing": side * side * k * k,  # every position with its own k x k weights
        "local_shared": k * k,  # one kernel shared by all positions
        "fc_layer": side * side * n * n,  # a fully connected layer with as many neurons
    }
    # a few window positions the scene visits: (row, column, neuron number counted row by row from 1)
    stops = [(0, 0), (0, side // 3), (0, 2 * side // 3), (0, side - 1), (side // 2, side // 2), (side - 1, side - 1)]
    tour = [[i, j, i * side + j + 1] for n_, (i, j) in enumerate(stops) if (i, j) not in stops[:n_]]
    arrays = {"image_size": n, "window": k, "output_size": side, **counts, "tour": tour}
    text = {name: grouped(v) for name, v in arrays.items() if name != "tour"}
    return SceneValues(arrays, {"text": text, "tour_text": [grouped(t[2]) for t in tour]})
