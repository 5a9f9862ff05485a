"""Small Python classes used by the golden corpus (testdata/gen.py) and the
live interop tests: instances of these pickle through copyreg._reconstructor
(protocols 0-1), NEWOBJ (2+), NEWOBJ_EX (4+), BUILD, and APPENDS/SETITEMS
applied to an object. The Go decoder keeps them as inert *Object values
(KeepUnknown); python3 imports this module (PYTHONPATH=testdata) to load
what Go writes back.
"""


class Point:
    """A plain class: state is its __dict__ (BUILD with a dict)."""

    def __init__(self, x=0, y=0):
        self.x = x
        self.y = y


class PointEx:
    """A class whose constructor takes a keyword argument: protocols 4 and 5
    write it with NEWOBJ_EX."""

    def __new__(cls, x, *, y):
        self = object.__new__(cls)
        self.x = x
        self.y = y
        return self

    def __getnewargs_ex__(self):
        return (self.x,), {"y": self.y}


class MyList(list):
    """A list subclass with an attribute: APPENDS on an object, then BUILD."""


class MyDict(dict):
    """A dict subclass with an attribute: SETITEMS on an object, then BUILD."""
