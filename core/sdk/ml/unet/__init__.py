"""U-Net segmentation: architecture, training, tiled prediction, ONNX export."""
