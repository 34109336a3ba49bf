/*
 * Streams over several GPUs: which device each source runs on.
 *
 * Pure C, no CUDA: the pipeline calls it with the sources' load estimates
 * (frames per second x model cost, vrt__assign_load) and the number of
 * devices it was given (params.devices; the same physical GPU may stand for
 * several logical devices). Devices are indices 0..ndev-1 into that list.
 *
 * vrt__assign_devices: every source at once, heaviest first, each to the
 * least-loaded device (ties: the lower index), which keeps the largest
 * device total within one source's load of the smallest.
 *
 * vrt__assign_add / vrt__assign_remove: a camera added or removed mid-run
 * moves only itself (a move means a new session on another GPU and a stall
 * for that stream), unless the device totals then differ by more than
 * `threshold` x the mean device load; then the fewest single-source moves
 * that bring the spread down are made, each from the most- to the
 * least-loaded device, and only while a move strictly narrows it.
 *
 * Threading: plain functions over the caller's arrays; no state, no allocation.
 */
#ifndef VRT_PIPELINE_ASSIGN_H
#define VRT_PIPELINE_ASSIGN_H

/* Most logical devices in one list (params.devices). */
#define VRT__ASSIGN_MAX_DEVICES 16
/* Default re-balance threshold: device totals may differ by half the mean load. */
#define VRT__ASSIGN_THRESHOLD 0.5

/* fps x cost; a cost <= 0 (unknown) counts 1 per frame, an fps <= 0 (unknown) 1 frame per second. */
double vrt__assign_load(double fps, double cost);

/* dev_of[i] (output, n entries) = the device of source i (n >= 0, 1 <= ndev <=
 * VRT__ASSIGN_MAX_DEVICES). totals (output, ndev entries, may be NULL) = the
 * load per device. load[i] < 0 counts as 0. */
void vrt__assign_devices(const double *load, int n, int ndev, int *dev_of, double *totals);

/* Source `src` (dev_of[src] < 0: not placed) joins the least-loaded device.
 * dev_of[i] < 0 marks sources that are not running. Returns how many OTHER
 * sources moved (0 unless the threshold was exceeded). */
int vrt__assign_add(const double *load, int n, int ndev, int *dev_of, int src, double threshold);

/* Source `src` leaves (dev_of[src] = -1). Returns how many other sources moved. */
int vrt__assign_remove(const double *load, int n, int ndev, int *dev_of, int src, double threshold);

/* Load per device of the placed sources (dev_of[i] >= 0) into totals[ndev]. */
void vrt__assign_totals(const double *load, int n, int ndev, const int *dev_of, double *totals);

#endif
