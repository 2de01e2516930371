"""Arrow columns for generated data: categorical vocabularies, constants, random hex ids, masked takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def choose(rng: np.random.Generator, probabilities: np.ndarray, n: int) -> np.ndarray:
    import numpy as np

    cumulative = np.cumsum(probabilities / probabilities.sum())
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(probabilities) - 1)


def const(value: str, n: int) -> pa.Array:
    import numpy as np

    return vocab([value], np.zeros(n, np.int32))


def vocab(words: list[str], index: np.ndarray, null_index: int | None = None,
          mask: np.ndarray | None = None) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    if null_index is not None:
        mask = index == null_index
    indices = pa.array(np.asarray(index, np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(words, pa.string())).dictionary_decode()


def hex_ids(rng: np.random.Generator, n: int) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    raw = np.frombuffer(rng.bytes(16 * n), np.uint8).reshape(n, 16)
    digits = np.frombuffer(b"0123456789abcdef", np.uint8)
    chars = np.empty((n, 32), np.uint8)
    chars[:, 0::2] = digits[raw >> 4]
    chars[:, 1::2] = digits[raw & 15]
    offsets = np.arange(0, 32 * n + 1, 32, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def followup_values(is_followup: np.ndarray, pos: np.ndarray, values: np.ndarray,
                    kind: pa.DataType) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    return pa.array(values).cast(kind).take(pa.array(np.where(is_followup, pos, 0), mask=~is_followup))
