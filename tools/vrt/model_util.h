/*
 * model_util.h - pieces shared by `vrt infer`, `vrt inspect` and `vrt bench`:
 * finding a model's profile (models/<name>.conf), the engine's option values
 * and printing tensor shapes.
 */
#ifndef VRT_CLI_MODEL_UTIL_H
#define VRT_CLI_MODEL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vrt/model.h"
#include "vrt/profile.h"

/* Finds the profile for `model_path`: the *.conf whose file name (letters and
 * digits only, lower case) is the longest prefix of the model's file name
 * ("SqueezeNet_fp16.onnx" -> squeezenet.conf, "yolox_nano.onnx" -> yolox.conf).
 * Searched, in order: $VRT_MODELS_DIR, the source tree's models/ (built into a
 * build-tree vrt only), <vrt's folder>/models, <vrt's folder>/../models,
 * <vrt's folder>/../share/visionrt/models (an installed vrt, also after its
 * prefix moved), the install prefix's share/visionrt/models, ./models, the
 * model's folder.
 * 0 and the path in out; on failure -1 and a message naming the model, the
 * folders searched and the profiles found there (and suggesting --profile). */
int cli_find_profile(const char *model_path, char *out, size_t out_cap, char *err, size_t cap);

/* 0 when model_path is a readable regular file; else -1 and a message
 * naming it and why ("no such file", "is a directory", "permission denied"). */
int cli_check_model_file(const char *model_path, char *err, size_t cap);

/* The profile for a model: --profile (arg, may be NULL), else the profile
 * matched by name (cli_find_profile), else the model's own metadata
 * (Ultralytics: vrt_profile_from_model). *path gets the profile file, or
 * "model metadata" for the last. 0, or -1 with a message naming every
 * place looked at. */
int cli_load_profile(const char *model_path, const char *arg, vrt_profile *p, char *path, size_t path_cap,
                     char *err, size_t cap);

/* "[1,3,224,224]" into buf. */
const char *cli_dims_str(const int64_t *dims, int ndim, char *buf, size_t cap);

/* Last path component. */
const char *cli_basename(const char *path);

#endif
