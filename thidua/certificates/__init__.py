"""Certificates: templates and artwork, plain-paper and pre-printed-blank printing with printer
calibration, background batches, the print log and public verification by QR code."""
