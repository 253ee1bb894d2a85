package dev.scopeflow.sae.kernel;

import java.util.Arrays;

/**
 * Picks the k largest pre-activations of a row, ties going to the lower feature index so a replay selects the
 * same features, then keeps those {@code > 0} (TopK applies ReLU after selection) in ascending feature order.
 * A size-k min-heap keyed on (value, -index): O(d log k). Also picks the entries {@link StorePolicy} keeps under
 * top-per-token. Not thread-safe; one per call site.
 */
final class TopKSelector {

    private final int k;
    private final int[] heap;
    private int size;

    TopKSelector(int k) {
        this.k = k;
        this.heap = new int[k];
    }

    void selectInto(float[] pre, int offset, int n, SparseCodes.Builder codes) {
        for (int j : select(pre, offset, n)) {
            float v = pre[offset + j];
            if (v > 0f) {
                codes.add(j, v);
            }
        }
    }

    /** Indices, relative to {@code offset}, of the (at most) k best of {@code pre[offset, offset + n)}, ascending. */
    int[] select(float[] pre, int offset, int n) {
        size = 0;
        for (int j = 0; j < n; j++) {
            if (size < k) {
                heap[size] = j;
                siftUp(pre, offset, size++);
            } else if (better(pre, offset, j, heap[0])) {
                heap[0] = j;
                siftDown(pre, offset, 0);
            }
        }
        int[] chosen = Arrays.copyOf(heap, size);
        Arrays.sort(chosen);
        return chosen;
    }

    /** Whether feature a ranks above feature b: larger value, or equal value and lower index. */
    private static boolean better(float[] pre, int offset, int a, int b) {
        float va = pre[offset + a];
        float vb = pre[offset + b];
        return va > vb || (va == vb && a < b);
    }

    private void siftUp(float[] pre, int offset, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!better(pre, offset, heap[parent], heap[i])) {
                break;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(float[] pre, int offset, int i) {
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int worst = left;
            int right = left + 1;
            if (right < size && better(pre, offset, heap[left], heap[right])) {
                worst = right;
            }
            if (!better(pre, offset, heap[i], heap[worst])) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        int t = heap[a];
        heap[a] = heap[b];
        heap[b] = t;
    }
}
