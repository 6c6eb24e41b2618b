# RandAugment policies in MMPretrain's format, for configs that use
# `policies={{_base_.rand_increasing_policies}}` (inherit this file in `_base_`).
# rand_increasing_policies is timm's 'increasing' set, the same 15 ops as
# RandAugment(policies='timm_increasing'): op type, the argument magnitude_range sets
# (magnitude_key) and its value at level 0 and at total_level.
rand_increasing_policies = [
    dict(type='AutoContrast'),
    dict(type='Equalize'),
    dict(type='Invert'),
    dict(type='Rotate', magnitude_key='angle', magnitude_range=(0, 30)),  # degrees
    dict(type='Posterize', magnitude_key='bits', magnitude_range=(4, 0)),  # bits kept
    dict(type='Solarize', magnitude_key='thr', magnitude_range=(256, 0)),  # threshold
    dict(type='SolarizeAdd', magnitude_key='magnitude', magnitude_range=(0, 110)),
    dict(type='ColorTransform', magnitude_key='magnitude', magnitude_range=(0, 0.9)),
    dict(type='Contrast', magnitude_key='magnitude', magnitude_range=(0, 0.9)),
    dict(type='Brightness', magnitude_key='magnitude', magnitude_range=(0, 0.9)),
    dict(type='Sharpness', magnitude_key='magnitude', magnitude_range=(0, 0.9)),
    dict(type='Shear', magnitude_key='magnitude', magnitude_range=(0, 0.3),
         direction='horizontal'),
    dict(type='Shear', magnitude_key='magnitude', magnitude_range=(0, 0.3),
         direction='vertical'),
    dict(type='Translate', magnitude_key='magnitude', magnitude_range=(0, 0.45),  # of the size
         direction='horizontal'),
    dict(type='Translate', magnitude_key='magnitude', magnitude_range=(0, 0.45),
         direction='vertical'),
]
