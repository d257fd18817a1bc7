"""Cluster sizing by model: a calibrated discrete-event model of SparkTrials.

calibrate(run) fits the model's inputs from a run's measurements (bench.analysis frames);
predict(...) simulates fmin on shapes that were not run; validate(run) predicts each
measured configuration from the others; recommend(...) applies the sizing rule.
"""
from .calibrate import STOCK, Calibration, calibrate, variants_in
from .chart import plot_sizing
from .predict import (DEFAULT_DRAWS, Prediction, predict, predict_many, predict_serial)
from .recommend import Recommendation, recommend
from .shapes import build_shapes, parse_ints, parse_queue
from .simulate import Inputs, Outcome, Shape, simulate, simulate_serial
from .validate import error_summary, mechanism_checks, validate

__all__ = ["DEFAULT_DRAWS", "STOCK", "Calibration", "Inputs", "Outcome", "Prediction",
           "Recommendation", "Shape", "build_shapes", "calibrate", "error_summary",
           "mechanism_checks", "parse_ints", "parse_queue", "plot_sizing", "predict",
           "predict_many", "predict_serial", "recommend", "simulate", "simulate_serial",
           "validate", "variants_in"]
