"""The predictive score: a regularised logistic regression trained on the workspace's own
history, evaluated on later contacts, stored as plain JSON and scored with numpy.

Pure modules (no Django): `features` (the feature matrix), `logistic` (fitting and scoring
from JSON), `measures` (AUC, DeLong intervals, Brier, reliability), `fitting` (time split,
training, metrics, verdict). Django modules: `loading` (bulk inputs), `services`
(`predictive_train`, `predictions_refresh`), `selectors`, `tasks`.
"""
