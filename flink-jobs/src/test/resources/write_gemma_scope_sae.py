"""Writes a random JumpReLU SAE in Gemma Scope's params.npz layout with numpy (an independent writer of the
real format). Usage: write_gemma_scope_sae.py OUT.npz D_IN D_SAE SEED [THRESHOLD_LOW THRESHOLD_HIGH]"""
import sys
import numpy as np

out, d_in, d_sae, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(seed)
w_enc = (rng.standard_normal((d_in, d_sae)) / np.sqrt(d_in)).astype(np.float32)
w_dec = np.ascontiguousarray(w_enc.T)
b_enc = (0.1 * rng.standard_normal(d_sae)).astype(np.float32)
b_dec = (0.1 * rng.standard_normal(d_in)).astype(np.float32)
low, high = (float(sys.argv[5]), float(sys.argv[6])) if len(sys.argv) > 6 else (0.0, 1.5)
threshold = rng.uniform(low, high, d_sae).astype(np.float32)
threshold[::13] = 1e6  # some features can never fire: dead
np.savez(out, W_enc=w_enc, W_dec=w_dec, b_enc=b_enc, b_dec=b_dec, threshold=threshold)
