"""NNPDF4.0's training settings that the harness reuses, in a module without Keras (report pages and
benchmark profiles read them without starting a backend)."""

LEARNING_RATE = 2.6e-3  # NNPDF4.0 Nadam learning rate
NNPDF_CLIPNORM = 6.0e-6  # NNPDF4.0 clipnorm
