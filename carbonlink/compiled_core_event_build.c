/* build(cls, fields): what tuple.__new__(cls, fields) returns for a tuple subclass `cls` and a tuple `fields`,
   made in one allocation and called without an argument tuple. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
build(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyType_Check(args[0]) || !PyTuple_CheckExact(args[1])
            || !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "build(cls, fields): a tuple subclass and a tuple");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)args[0];
    PyObject *fields = args[1];
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    PyObject *event = cls->tp_alloc(cls, n);
    if (event == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(fields, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(event, i, item);
    }
    return event;
}

static PyMethodDef methods[] = {
    {"build", (PyCFunction)(void (*)(void))build, METH_FASTCALL, "tuple.__new__(cls, fields) in one allocation"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_event_build", NULL, 0, methods};

PyMODINIT_FUNC
PyInit__event_build(void)
{
    return PyModule_Create(&module);
}
