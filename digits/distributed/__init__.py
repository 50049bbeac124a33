"""Training on several processes and machines with torchrun and DistributedDataParallel.

launch.py   the train stage's launcher: torchrun for several processes, in-process for one
world.py    who this process is (torchrun's environment), its process group, the one writer
sharding.py which contiguous part of every global batch a rank computes
ddp.py      the model wrapper and the few collectives fit() needs; no-ops in a world of one
failures.py how a failing worker reports, and how the launcher finds the root cause
"""
