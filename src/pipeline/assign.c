/* Streams over several GPUs: greedy assignment and minimal re-balancing (assign.h). */
#include "pipeline/assign.h"

static double w(const double *load, int i) {
    return load[i] > 0 ? load[i] : 0;
}

double vrt__assign_load(double fps, double cost) {
    return (fps > 0 ? fps : 1.0) * (cost > 0 ? cost : 1.0);
}

void vrt__assign_totals(const double *load, int n, int ndev, const int *dev_of, double *totals) {
    for (int d = 0; d < ndev; d++)
        totals[d] = 0;
    for (int i = 0; i < n; i++)
        if (dev_of[i] >= 0 && dev_of[i] < ndev) totals[dev_of[i]] += w(load, i);
}

static int least_loaded(const double *totals, int ndev) {
    int best = 0;
    for (int d = 1; d < ndev; d++)
        if (totals[d] < totals[best]) best = d;
    return best;
}

static int most_loaded(const double *totals, int ndev) {
    int best = 0;
    for (int d = 1; d < ndev; d++)
        if (totals[d] > totals[best]) best = d;
    return best;
}

void vrt__assign_devices(const double *load, int n, int ndev, int *dev_of, double *totals) {
    double t[VRT__ASSIGN_MAX_DEVICES] = {0};
    if (ndev < 1) ndev = 1;
    if (ndev > VRT__ASSIGN_MAX_DEVICES) ndev = VRT__ASSIGN_MAX_DEVICES;
    for (int i = 0; i < n; i++)
        dev_of[i] = -1;
    /* Heaviest unplaced source next (ties: the lower index): O(n^2), n <= a few hundred streams, at open. */
    for (int k = 0; k < n; k++) {
        int pick = -1;
        for (int i = 0; i < n; i++)
            if (dev_of[i] < 0 && (pick < 0 || w(load, i) > w(load, pick))) pick = i;
        int d = least_loaded(t, ndev);
        dev_of[pick] = d;
        t[d] += w(load, pick);
    }
    if (totals)
        for (int d = 0; d < ndev; d++)
            totals[d] = t[d];
}

/* While the spread exceeds threshold x mean, move the source of the most
 * loaded device whose move to the least loaded one leaves the two closest,
 * if that strictly narrows their gap. At most n moves. Returns the moves of
 * sources other than `skip` (the one being added). */
static int rebalance(const double *load, int n, int ndev, int *dev_of, double threshold, int skip) {
    double t[VRT__ASSIGN_MAX_DEVICES];
    int moves = 0;
    for (int round = 0; round < n; round++) {
        vrt__assign_totals(load, n, ndev, dev_of, t);
        double sum = 0;
        for (int d = 0; d < ndev; d++)
            sum += t[d];
        int hi = most_loaded(t, ndev), lo = least_loaded(t, ndev);
        double gap = t[hi] - t[lo];
        if (sum <= 0 || gap <= threshold * sum / ndev) break;
        int pick = -1;
        double best = gap;
        for (int i = 0; i < n; i++) {
            if (dev_of[i] != hi) continue;
            double g = (t[hi] - w(load, i)) - (t[lo] + w(load, i));
            g = g < 0 ? -g : g;
            if (g < best) best = g, pick = i;
        }
        if (pick < 0) break; /* no single move narrows the spread */
        dev_of[pick] = lo;
        moves += pick != skip;
    }
    return moves;
}

int vrt__assign_add(const double *load, int n, int ndev, int *dev_of, int src, double threshold) {
    double t[VRT__ASSIGN_MAX_DEVICES];
    if (src < 0 || src >= n || ndev < 1) return 0;
    if (ndev > VRT__ASSIGN_MAX_DEVICES) ndev = VRT__ASSIGN_MAX_DEVICES;
    dev_of[src] = -1;
    vrt__assign_totals(load, n, ndev, dev_of, t);
    dev_of[src] = least_loaded(t, ndev);
    return rebalance(load, n, ndev, dev_of, threshold, src);
}

int vrt__assign_remove(const double *load, int n, int ndev, int *dev_of, int src, double threshold) {
    if (src < 0 || src >= n || ndev < 1) return 0;
    if (ndev > VRT__ASSIGN_MAX_DEVICES) ndev = VRT__ASSIGN_MAX_DEVICES;
    dev_of[src] = -1;
    return rebalance(load, n, ndev, dev_of, threshold, -1);
}
