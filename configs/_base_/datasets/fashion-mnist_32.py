# Fashion-MNIST (10 classes of clothing, 60k train / 10k test, 28x28 grey), read straight from
# the four idx files its publisher distributes (train-images-idx3-ubyte.gz,
# train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) by
# MMPretrain's `FashionMNIST` dataset. Debian's `dataset-fashion-mnist` package installs them in
# /usr/share/datasets/fashion-mnist (`make demo` installs it); elsewhere point data_root at a
# folder holding them (.gz or extracted), or set download=True to fetch them there. The images
# are decoded once, when the dataset is built, and stay in memory; `cache_steps='auto'` also
# runs the deterministic head of the pipeline (to 3 channels, resize to 32 px) once per image
# and keeps its result (176 MiB for the 60k), so per sample only the flip and packing run.
data_root = '/usr/share/datasets/fashion-mnist'

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    # Fashion-MNIST pixel mean/std (0.286, 0.353) on the 0-255 scale, same for the 3 channels
    mean=[72.94, 72.94, 72.94],
    std=[90.02, 90.02, 90.02],
    to_rgb=True,  # grey images load as 3 equal channels; kept for the usual convention
)

train_pipeline = [
    # the in-memory 28x28 grey image -> 3 equal channels, as a grey PNG decodes
    dict(type='LoadImageFromNDArray'),
    dict(type='Resize', scale=(32, 32), interpolation='bicubic'),  # 28 px -> 32 px
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),  # clothes are left/right symmetric
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='Resize', scale=(32, 32), interpolation='bicubic'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    # the decoded images are in memory: per sample only the flip and packing run, which costs
    # less in this process than handing batches over from worker processes
    num_workers=0,
    dataset=dict(type='FashionMNIST', data_root=data_root, split='train', download=False,
                 cache_steps='auto', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),  # one stacked uint8 tensor per batch
)

val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    dataset=dict(type='FashionMNIST', data_root=data_root, split='test', download=False,
                 cache_steps='auto', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
