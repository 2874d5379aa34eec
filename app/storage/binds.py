"""Named bind parameters, so statements can be built once per shape and reused.

The filter compiler, the cursor predicate and the list statement bind every value they
compare with through a ``Binder``, which names them in the order they are bound (``f0``,
``f1``, ...). Two requests whose filters have the same shape then compile to statements
that differ only in those values: the list statement is built for the first and executed
with the second's values (``app.storage.listing``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


class Binder:
    def __init__(self, prefix: str = "f") -> None:
        self.prefix = prefix
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any, type_: Any = None) -> sa.BindParameter[Any]:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return sa.bindparam(name, value, type_=type_)

    def record(self, value: Any) -> None:
        """Bind ``value`` to the next name, for a clause built earlier that binds it there."""
        self.values[f"{self.prefix}{len(self.values)}"] = value
