# from MMSegmentation's configs/_base_/schedules/schedule_160k.py (the ConvNeXt configs replace it)
optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
