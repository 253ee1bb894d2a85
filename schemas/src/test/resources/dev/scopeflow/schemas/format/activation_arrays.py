"""Fixtures for ActivationArrayFilesTest, written by numpy. Usage: activation_arrays.py files <dir>
  acts.npy f4 [3, 5, 4] (values 0..59), flat.npy f4 [15, 4], half.npy f2 [3, 5, 4],
  mask_bool.npy bool [3, 5] (capture's lengths 5, 3, 0), mask_i32.npy int32 [3, 5] (the same), mask_2.npy int64 with
  a 2 at sequence 1, position 4, mask_t.npy int64 [5, 3], tokens.json (lengths 5, 2, 4)"""
import json
import os
import sys

import numpy as np

mode, out = sys.argv[1], sys.argv[2]
assert mode == "files"
os.makedirs(out, exist_ok=True)
acts = np.arange(60, dtype=np.float32).reshape(3, 5, 4)
np.save(os.path.join(out, "acts.npy"), acts)
np.save(os.path.join(out, "flat.npy"), acts.reshape(15, 4))
np.save(os.path.join(out, "half.npy"), acts.astype(np.float16))
lengths = [5, 3, 0]
mask = np.array([[p < n for p in range(5)] for n in lengths])
np.save(os.path.join(out, "mask_bool.npy"), mask)
np.save(os.path.join(out, "mask_i32.npy"), mask.astype(np.int32))
two = mask.astype(np.int64)
two[1, 4] = 2
np.save(os.path.join(out, "mask_2.npy"), two)
np.save(os.path.join(out, "mask_t.npy"), mask.T.astype(np.int64))
with open(os.path.join(out, "tokens.json"), "w") as f:
    json.dump([[2, 10, 11, 12, 13], [2, 20], [2, 30, 31, 32]], f)
