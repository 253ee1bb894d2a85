"""Fixtures for the file-format tests of scopeflow-schemas, written (and read back) by numpy itself.

Expected values are written as raw little-endian files (ndarray.tofile), so checking them does not go through
the Java readers under test.

Usage: python3 format_fixtures.py <mode> <out_dir>
  npy-cases <dir>   .npy/.npz files in many dtypes, orders, ranks and versions, plus broken ones; manifest.txt
  read-back <dir>   numpy loads every .npy and .npz in <dir> (written by the Java writers) and writes, per array,
                    <name>.f32 (its values as float32, C order) and a line "<name> <shape> <dtype>" in read.txt
"""
import io
import os
import sys

import numpy as np


def raw(path, array, dtype):
    np.ascontiguousarray(array, dtype=dtype).tofile(path)


def npy_cases(out):
    manifest = []

    def case(name, array, version=None):
        path = os.path.join(out, name + ".npy")
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
        raw(os.path.join(out, name + ".f32"), np.asarray(array).astype(np.float64).astype(np.float32), "<f4")
        shape = ",".join(str(d) for d in array.shape)
        fortran = array.flags.f_contiguous and not array.flags.c_contiguous
        manifest.append(f"{name} {shape if shape else '-'} {array.dtype.str} {int(fortran)}")

    rng = np.random.default_rng(7)
    base = rng.standard_normal((5, 7)).astype(np.float32)
    case("f4_c", base)
    case("f4_big", base.astype(">f4"))
    case("f8", base.astype("<f8"))
    case("f8_big", base.astype(">f8"))
    case("f2", base.astype("<f2"))
    case("f2_big", base.astype(">f2"))
    case("f4_fortran", np.asfortranarray(base))
    case("f8_fortran_big", np.asfortranarray(base.astype(">f8")))
    cube = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5) * 0.5 - 7
    case("rank4_c", cube)
    case("rank4_fortran", np.asfortranarray(cube))
    case("rank3_fortran", np.asfortranarray(cube[0]))
    case("rank1", np.linspace(-1, 1, 11, dtype=np.float32))
    case("rank0", np.array(3.25, dtype=np.float32))
    case("empty", np.zeros((0, 4), dtype=np.float32))
    ints = np.arange(-60, 60, dtype=np.int64).reshape(12, 10)
    case("i1", ints.astype(np.int8))
    case("u1", (ints + 60).astype(np.uint8))
    case("i2", (ints * 300).astype("<i2"))
    case("i2_big", (ints * 300).astype(">i2"))
    case("u2", (ints + 60).astype("<u2") * 500)
    case("i4", ints.astype("<i4") * 100000)
    case("u4", (ints + 60).astype("<u4") * 100000)
    case("i8", ints.astype("<i8") * 3)
    case("u8", (ints + 60).astype("<u8") * 7)
    case("b1", ints % 3 == 0)
    case("v2", base, version=(2, 0))
    case("v3", base, version=(3, 0))
    case("v2_fortran", np.asfortranarray(base), version=(2, 0))
    special = np.array([0.0, -0.0, np.inf, -np.inf, 65504, 6e-8, -2.5], dtype=np.float32)
    case("f2_special", special.astype("<f2"))
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    # unsupported dtypes and a bad magic, for error tests
    np.save(os.path.join(out, "bad_complex.npy"), np.zeros(3, dtype=np.complex64))
    np.save(os.path.join(out, "bad_structured.npy"), np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]))
    with open(os.path.join(out, "bad_magic.npy"), "wb") as f:
        f.write(b"PK\x03\x04 definitely not numpy")
    full = io.BytesIO()
    np.save(full, base)
    with open(os.path.join(out, "truncated.npy"), "wb") as f:
        f.write(full.getvalue()[:-9])
    with open(os.path.join(out, "too_long.npy"), "wb") as f:
        f.write(full.getvalue() + b"\0\0\0\0")
    # the same arrays through both archive kinds
    np.savez(os.path.join(out, "stored.npz"), a=base, b=np.asfortranarray(cube), c=ints.astype(np.int16))
    np.savez_compressed(os.path.join(out, "compressed.npz"), a=base, b=np.asfortranarray(cube),
                        c=ints.astype(np.int16))



def read_back(out):
    lines = []

    def record(name, array):
        raw(os.path.join(out, name + ".f32"), array.astype(np.float32), "<f4")
        lines.append(f"{name} {','.join(str(d) for d in array.shape) or '-'} {array.dtype.str}")

    for file in sorted(os.listdir(out)):
        path = os.path.join(out, file)
        if file.endswith(".npy"):
            record(file[:-4], np.load(path, allow_pickle=False))
        elif file.endswith(".npz"):
            with np.load(path, allow_pickle=False) as archive:
                for name in archive.files:
                    record(file[:-4] + "." + name, archive[name])
    with open(os.path.join(out, "read.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if mode == "npy-cases":
        npy_cases(out)
    elif mode == "read-back":
        read_back(out)
    else:
        sys.exit("unknown mode " + mode)
