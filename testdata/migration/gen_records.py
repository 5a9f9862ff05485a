#!/usr/bin/env python3
"""Writes testdata/migration/orders.pkl: order records as an application
pickled them over the years, one pickle after another in one file (repeated
pickle.dump), the way the migration guide (docs/migration.md) reads them.

- v1 (protocol 2): shop.Order with attributes id, item (one str) and price
  (a float, in dollars);
- v2 (protocol 4): shop.Order with id, items (a list of str), price_cents
  (an int) and version = 2.

Run from the repository root: python3 testdata/migration/gen_records.py
"""
import os
import pickle
import sys
import types

shop = types.ModuleType("shop")
sys.modules["shop"] = shop


class OrderV1:
    def __init__(self, id, item, price):
        self.id = id
        self.item = item
        self.price = price


class OrderV2:
    def __init__(self, id, items, price_cents):
        self.id = id
        self.items = items
        self.price_cents = price_cents
        self.version = 2


def as_order(cls):
    cls.__module__ = "shop"
    cls.__name__ = cls.__qualname__ = "Order"
    shop.Order = cls
    return cls


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "orders.pkl")
with open(out, "wb") as f:
    as_order(OrderV1)
    pickle.dump(OrderV1(1, "teapot", 19.99), f, protocol=2)
    pickle.dump(OrderV1(2, "kettle", 5.5), f, protocol=2)
    as_order(OrderV2)
    pickle.dump(OrderV2(3, ["cup", "saucer"], 1250), f, protocol=4)
