/* The learned stage's score for one message, in C: hashed features and one dot product.
 *
 * Scorer(weights, bits, bias): ``weights`` a bytes object of 2**bits little-endian float32.
 *   .features(exact, folded) -> list of the feature buckets, in order, repeats kept
 *   .logit(exact, folded) -> the model's log-odds
 *   .logits(exact, folded, keys, vals) -> (log-odds, what a community's learned weights add)
 *     ``keys``/``vals``: an open-addressing table of those weights, as built by
 *     ``bot.core.learned.Overlay`` (uint32 bucket + 1, 0 for empty; float32 weight).
 *
 * The features are exactly those of ``bot.core.features.features_py``, which is the reference
 * (and what runs where this could not be compiled); tests compare the two. Words are the runs
 * of alphanumeric characters of ``folded``, read in ``exact`` (the same length: each word sits at
 * the same place in both), so a word typed with diacritics keeps them; the first MAX_WORDS words
 * count.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_WORDS 64
#define WORD 1
#define PAIR 2
#define MAX_FEATURES (MAX_WORDS * 2) /* words and pairs */

typedef struct {
    PyObject_HEAD
    PyObject *owner; /* the bytes holding the weights */
    const float *weights;
    uint32_t mask;
    double bias;
} Scorer;

static inline uint32_t
fnv_start(uint32_t kind)
{
    return (2166136261u ^ kind) * 16777619u;
}

static inline uint32_t
fnv_add(uint32_t h, Py_UCS4 ch)
{
    return (h ^ (uint32_t)ch) * 16777619u;
}

static inline uint32_t
bucket(uint32_t h, uint32_t mask)
{
    return (h ^ (h >> 16)) & mask;
}

/* what str.isalnum says, looked up for ASCII (most chat), asked of Unicode's tables beyond */
static inline int
is_alnum(Py_UCS4 ch)
{
    if (ch < 128)
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
    return Py_UNICODE_ISALNUM(ch);
}

/* A pair of words from their two hashes (as ``features.pair_hash`` does) */
static inline uint32_t
pair_hash(uint32_t first, uint32_t second)
{
    return (((first ^ PAIR) * 0x9E3779B1u) ^ second) * 16777619u;
}

/* The buckets of the message's features into ``out``; returns how many, or -1 with an error. */
static Py_ssize_t
collect(PyObject *exact, PyObject *folded, uint32_t mask, uint32_t *out)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(folded);
    if (PyUnicode_GET_LENGTH(exact) != n) {
        PyErr_SetString(PyExc_ValueError, "exact and folded must have the same length");
        return -1;
    }
    int kind_e = PyUnicode_KIND(exact), kind_f = PyUnicode_KIND(folded);
    const void *data_e = PyUnicode_DATA(exact), *data_f = PyUnicode_DATA(folded);
    Py_ssize_t starts[MAX_WORDS], ends[MAX_WORDS];
    uint32_t hashes[MAX_WORDS];
    int words = 0;
    for (Py_ssize_t i = 0; i < n && words < MAX_WORDS;) {
        if (!is_alnum(PyUnicode_READ(kind_f, data_f, i))) {
            i++;
            continue;
        }
        Py_ssize_t j = i + 1;
        while (j < n && is_alnum(PyUnicode_READ(kind_f, data_f, j)))
            j++;
        starts[words] = i;
        ends[words] = j;
        words++;
        i = j;
    }
    Py_ssize_t count = 0;
    for (int k = 0; k < words; k++) {
        uint32_t h = fnv_start(WORD);
        for (Py_ssize_t i = starts[k]; i < ends[k]; i++)
            h = fnv_add(h, PyUnicode_READ(kind_e, data_e, i));
        hashes[k] = h;
        out[count++] = bucket(h, mask);
    }
    for (int k = 0; k + 1 < words; k++)
        out[count++] = bucket(pair_hash(hashes[k], hashes[k + 1]), mask);
    return count;
}

static int
two_str(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want, const char *usage)
{
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s", usage);
        return 0;
    }
    if (!PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_Format(PyExc_TypeError, "%s: exact and folded must be str", usage);
        return 0;
    }
    return 1;
}

static PyObject *
Scorer_features(Scorer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!two_str(args, nargs, 2, "features(exact, folded)"))
        return NULL;
    uint32_t out[MAX_FEATURES];
    Py_ssize_t count = collect(args[0], args[1], self->mask, out);
    if (count < 0)
        return NULL;
    PyObject *list = PyList_New(count);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *v = PyLong_FromUnsignedLong(out[i]);
        if (v == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

static PyObject *
count_words(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "count_words(folded): folded must be str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), words = 0;
    int inside = 0;
    for (Py_ssize_t i = 0; i < n && words < MAX_WORDS; i++) {
        int alnum = is_alnum(PyUnicode_READ(kind, data, i));
        words += alnum && !inside;
        inside = alnum;
    }
    return PyLong_FromSsize_t(words);
}

static double
dot(Scorer *self, const uint32_t *buckets, Py_ssize_t count)
{
    double sum = 0.0;
    for (Py_ssize_t i = 0; i < count; i++)
        sum += self->weights[buckets[i]];
    return count ? sum / sqrt((double)count) : 0.0;
}

static PyObject *
Scorer_logit(Scorer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!two_str(args, nargs, 2, "logit(exact, folded)"))
        return NULL;
    uint32_t out[MAX_FEATURES];
    Py_ssize_t count = collect(args[0], args[1], self->mask, out);
    if (count < 0)
        return NULL;
    return PyFloat_FromDouble(self->bias + dot(self, out, count));
}

static PyObject *
Scorer_logits(Scorer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!two_str(args, nargs, 4, "logits(exact, folded, keys, vals)"))
        return NULL;
    Py_buffer keys, vals;
    if (PyObject_GetBuffer(args[2], &keys, PyBUF_SIMPLE) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[3], &vals, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&keys);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t size = keys.len / 4;
    if (keys.len % 4 || vals.len != keys.len || size == 0 || (size & (size - 1))) {
        PyErr_SetString(PyExc_ValueError,
                        "logits: keys and vals must be equal tables of 2**k 4-byte entries");
        goto done;
    }
    uint32_t out[MAX_FEATURES];
    Py_ssize_t count = collect(args[0], args[1], self->mask, out);
    if (count < 0)
        goto done;
    const uint32_t *k = keys.buf;
    const float *v = vals.buf;
    uint32_t table_mask = (uint32_t)size - 1;
    double learned = 0.0;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint32_t want = out[i] + 1;
        for (uint32_t slot = (out[i] * 2654435761u) & table_mask;; slot = (slot + 1) & table_mask) {
            if (k[slot] == want) {
                learned += v[slot];
                break;
            }
            if (k[slot] == 0)
                break;
        }
    }
    double delta = count ? learned / sqrt((double)count) : 0.0;
    result = Py_BuildValue("(dd)", self->bias + dot(self, out, count), delta);
done:
    PyBuffer_Release(&keys);
    PyBuffer_Release(&vals);
    return result;
}

static int
Scorer_init(Scorer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"weights", "bits", "bias", NULL};
    PyObject *weights;
    int bits;
    double bias;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!id", kwlist, &PyBytes_Type, &weights, &bits,
                                     &bias))
        return -1;
    if (bits < 8 || bits > 24) {
        PyErr_SetString(PyExc_ValueError, "Scorer: bits must be from 8 to 24");
        return -1;
    }
    if (PyBytes_GET_SIZE(weights) != ((Py_ssize_t)4 << bits)) {
        PyErr_Format(PyExc_ValueError, "Scorer: weights must hold 2**%d float32 values", bits);
        return -1;
    }
    Py_INCREF(weights);
    Py_XSETREF(self->owner, weights);
    self->weights = (const float *)PyBytes_AS_STRING(weights);
    self->mask = ((uint32_t)1 << bits) - 1;
    self->bias = bias;
    return 0;
}

static void
Scorer_dealloc(Scorer *self)
{
    Py_XDECREF(self->owner);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Scorer_methods[] = {
    {"features", (PyCFunction)(void (*)(void))Scorer_features, METH_FASTCALL,
     "features(exact, folded) -> the feature buckets, in order, repeats kept"},
    {"logit", (PyCFunction)(void (*)(void))Scorer_logit, METH_FASTCALL,
     "logit(exact, folded) -> the model's log-odds"},
    {"logits", (PyCFunction)(void (*)(void))Scorer_logits, METH_FASTCALL,
     "logits(exact, folded, keys, vals) -> (log-odds, what learned weights add)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bot.core._score.Scorer",
    .tp_doc = "Scorer(weights: bytes, bits: int, bias: float): a linear model on hashed features",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scorer_init,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};

static PyMethodDef module_methods[] = {
    {"count_words", count_words, METH_O,
     "count_words(folded) -> how many words the model reads (at most MAX_WORDS)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_score",
    "The learned stage's score, in C (see bot/core/features.py, its reference).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__score(void)
{
    if (PyType_Ready(&ScorerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScorerType);
    if (PyModule_AddObject(m, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(&ScorerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
