"""Rotations and coordinate conventions.

``rotations`` holds the quaternion maths (x, y, z, w order, unit length); ``frames`` is the
only module that knows about engine coordinate conventions.
"""
