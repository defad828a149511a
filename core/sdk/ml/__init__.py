"""Machine-learning building blocks for modules: model artifacts, pixel features, U-Nets.

Module code (and the editor's live training) imports these; the heavy libraries
(scikit-learn, torch, onnxruntime) are imported only by the functions that need them, so
``lamella.core`` stays importable without the ``ml`` extra.

Pixel classification (random forest from scribbles): ``features`` (the filter bank),
``forest`` (training and prediction), ``pixel_model`` (the ``'pixel-forest'`` model file) and
``live`` (``LiveClassifier``, retrained after every stroke in the editor).
"""
