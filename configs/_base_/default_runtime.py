# Runtime settings shared by every config: registry scope, hooks, logging, environment, seed.
default_scope = 'mmcls_convnext'  # look names up in our registries first (no clash with mmpretrain)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),  # data and iteration time in the log
    logger=dict(type='LoggerHook', interval=100),  # print the log every 100 iterations
    param_scheduler=dict(type='ParamSchedulerHook'),  # step the lr schedulers
    # save a checkpoint every epoch, keep the 3 newest and the best one by val top-1
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),  # reshuffle every epoch in distributed runs
    # draws val/test predictions into vis_data/; switch on with
    # --cfg-options default_hooks.visualization.enable=True
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),  # no cv2 threads in workers
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo on a machine without CUDA
)

# scalars (loss, lr, accuracy) go to <work_dir>/<timestamp>/vis_data/scalars.json
vis_backends = [dict(type='LocalVisBackend')]
# UniversalVisualizer (MMPretrain's; a ClsVisualizer) also draws predictions (VisualizationHook)
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_processor = dict(by_epoch=True, window_size=10)
log_level = 'INFO'
# 'brief': the environment, config, hook order and paramwise_options lines go to the log file
# (<work_dir>/<timestamp>/<timestamp>.log) only and the console names it, so ~25 lines come
# before the first iteration instead of ~400; 'full' prints everything on the console too
log_console = 'brief'

load_from = None  # a checkpoint to initialise the whole model from (not a resume)
resume = False  # set by `tools/train.py --resume`

# seed=None picks a random seed and logs it; set a number for a reproducible run
randomness = dict(seed=None, deterministic=False)
