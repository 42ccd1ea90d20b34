"""`tg.nn`: models built from Modules, under PyTorch's names.

    module.py      Parameter (entry-wise freezing), Module (parameters, named_parameters,
                   train/eval, state_dict/load_state_dict, __call__ -> forward)
    layers.py      Linear (weight (out, in), initialisations), Sequential, ReLU, Sigmoid,
                   Tanh, LeakyReLU, Softmax, LogSoftmax, Dropout, Flatten
    loss.py        SSELoss, HalfSSELoss, MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss
    functional.py  the same as functions: `from tinygrad_gd.nn import functional as F`
    init.py        PyTorch's nn.init: xavier_uniform_, kaiming_normal_, zeros_... in place

Everything is composed of Tensor ops: gradients come from `backward()`.
"""
from . import functional, init
from .layers import (INITS, Dropout, Flatten, LeakyReLU, Linear, LogSoftmax, ReLU, Sequential,
                     Sigmoid, Softmax, Tanh)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HalfSSELoss, MSELoss, SSELoss
from .module import IncompatibleKeys, Module, Parameter

__all__ = [
    "functional", "init", "Module", "Parameter", "IncompatibleKeys", "Linear", "INITS",
    "Sequential", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "LogSoftmax", "Dropout",
    "Flatten",
    "SSELoss", "HalfSSELoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
]
