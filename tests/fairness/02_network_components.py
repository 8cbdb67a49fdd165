"""Assignment 2 (network components): no data here yet, on purpose.

Its correct answers written differently and its typical mistakes are still graded in-process by
tests/test_assignment_01_02.py, while assignment 2's names change (eta, validation data, utils' layer
contract); they move here, graded by nbgrader, once that renaming has landed.
"""
CORRECT = {}

MISTAKES = {}
