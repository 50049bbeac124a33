"""Prediction: a trained model run on picture files (`digits predict`) and described (`digits inspect`, GET /model)."""
