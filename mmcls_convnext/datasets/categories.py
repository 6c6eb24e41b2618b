"""Class names of the standard datasets, in the label order their publishers use (the same
names and order as MMPretrain's ``mmpretrain.datasets.categories``, so checkpoints and configs
trained there name the same classes here). Lists without spaces in their names are written
space-separated; the others one name per line."""


def _words(text: str) -> tuple:
    return tuple(text.split())


def _lines(text: str) -> tuple:
    return tuple(line.strip() for line in text.strip().splitlines())


VOC2007_CATEGORIES = _words("""
aeroplane bicycle bird boat bottle bus car cat chair cow diningtable dog horse motorbike person
pottedplant sheep sofa train tvmonitor""")

CIFAR10_CATEGORIES = _words(
    'airplane automobile bird cat deer dog frog horse ship truck')

CIFAR100_CATEGORIES = _words("""
apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly
camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup
dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower
leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange
orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit
raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel
streetcar sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip
turtle wardrobe whale willow_tree wolf woman worm""")

#: MMPretrain spells the two MNIST names ``*_CATEGORITES``; both spellings are exported.
MNIST_CATEGORIES = MNIST_CATEGORITES = tuple(
    f'{i} - {w}' for i, w in enumerate(
        'zero one two three four five six seven eight nine'.split()))

FASHIONMNIST_CATEGORIES = FASHIONMNIST_CATEGORITES = _lines("""
T-shirt/top
Trouser
Pullover
Dress
Coat
Sandal
Shirt
Sneaker
Bag
Ankle boot""")

CUB_CATEGORIES = _words("""
Black_footed_Albatross Laysan_Albatross Sooty_Albatross Groove_billed_Ani Crested_Auklet
Least_Auklet Parakeet_Auklet Rhinoceros_Auklet Brewer_Blackbird Red_winged_Blackbird
Rusty_Blackbird Yellow_headed_Blackbird Bobolink Indigo_Bunting Lazuli_Bunting Painted_Bunting
Cardinal Spotted_Catbird Gray_Catbird Yellow_breasted_Chat Eastern_Towhee Chuck_will_Widow
Brandt_Cormorant Red_faced_Cormorant Pelagic_Cormorant Bronzed_Cowbird Shiny_Cowbird
Brown_Creeper American_Crow Fish_Crow Black_billed_Cuckoo Mangrove_Cuckoo Yellow_billed_Cuckoo
Gray_crowned_Rosy_Finch Purple_Finch Northern_Flicker Acadian_Flycatcher Great_Crested_Flycatcher
Least_Flycatcher Olive_sided_Flycatcher Scissor_tailed_Flycatcher Vermilion_Flycatcher
Yellow_bellied_Flycatcher Frigatebird Northern_Fulmar Gadwall American_Goldfinch
European_Goldfinch Boat_tailed_Grackle Eared_Grebe Horned_Grebe Pied_billed_Grebe Western_Grebe
Blue_Grosbeak Evening_Grosbeak Pine_Grosbeak Rose_breasted_Grosbeak Pigeon_Guillemot
California_Gull Glaucous_winged_Gull Heermann_Gull Herring_Gull Ivory_Gull Ring_billed_Gull
Slaty_backed_Gull Western_Gull Anna_Hummingbird Ruby_throated_Hummingbird Rufous_Hummingbird
Green_Violetear Long_tailed_Jaeger Pomarine_Jaeger Blue_Jay Florida_Jay Green_Jay
Dark_eyed_Junco Tropical_Kingbird Gray_Kingbird Belted_Kingfisher Green_Kingfisher
Pied_Kingfisher Ringed_Kingfisher White_breasted_Kingfisher Red_legged_Kittiwake Horned_Lark
Pacific_Loon Mallard Western_Meadowlark Hooded_Merganser Red_breasted_Merganser Mockingbird
Nighthawk Clark_Nutcracker White_breasted_Nuthatch Baltimore_Oriole Hooded_Oriole
Orchard_Oriole Scott_Oriole Ovenbird Brown_Pelican White_Pelican Western_Wood_Pewee Sayornis
American_Pipit Whip_poor_Will Horned_Puffin Common_Raven White_necked_Raven American_Redstart
Geococcyx Loggerhead_Shrike Great_Grey_Shrike Baird_Sparrow Black_throated_Sparrow
Brewer_Sparrow Chipping_Sparrow Clay_colored_Sparrow House_Sparrow Field_Sparrow Fox_Sparrow
Grasshopper_Sparrow Harris_Sparrow Henslow_Sparrow Le_Conte_Sparrow Lincoln_Sparrow
Nelson_Sharp_tailed_Sparrow Savannah_Sparrow Seaside_Sparrow Song_Sparrow Tree_Sparrow
Vesper_Sparrow White_crowned_Sparrow White_throated_Sparrow Cape_Glossy_Starling Bank_Swallow
Barn_Swallow Cliff_Swallow Tree_Swallow Scarlet_Tanager Summer_Tanager Artic_Tern Black_Tern
Caspian_Tern Common_Tern Elegant_Tern Forsters_Tern Least_Tern Green_tailed_Towhee
Brown_Thrasher Sage_Thrasher Black_capped_Vireo Blue_headed_Vireo Philadelphia_Vireo
Red_eyed_Vireo Warbling_Vireo White_eyed_Vireo Yellow_throated_Vireo Bay_breasted_Warbler
Black_and_white_Warbler Black_throated_Blue_Warbler Blue_winged_Warbler Canada_Warbler
Cape_May_Warbler Cerulean_Warbler Chestnut_sided_Warbler Golden_winged_Warbler Hooded_Warbler
Kentucky_Warbler Magnolia_Warbler Mourning_Warbler Myrtle_Warbler Nashville_Warbler
Orange_crowned_Warbler Palm_Warbler Pine_Warbler Prairie_Warbler Prothonotary_Warbler
Swainson_Warbler Tennessee_Warbler Wilson_Warbler Worm_eating_Warbler Yellow_Warbler
Northern_Waterthrush Louisiana_Waterthrush Bohemian_Waxwing Cedar_Waxwing
American_Three_toed_Woodpecker Pileated_Woodpecker Red_bellied_Woodpecker
Red_cockaded_Woodpecker Red_headed_Woodpecker Downy_Woodpecker Bewick_Wren Cactus_Wren
Carolina_Wren House_Wren Marsh_Wren Rock_Wren Winter_Wren Common_Yellowthroat""")

PLACES205_CATEGORIES = _words("""
abbey airport_terminal alley amphitheater amusement_park aquarium aqueduct arch art_gallery
art_studio assembly_line attic auditorium apartment_building/outdoor badlands ballroom
bamboo_forest banquet_hall bar baseball_field basement basilica bayou beauty_salon bedroom
boardwalk boat_deck bookstore botanical_garden bowling_alley boxing_ring bridge building_facade
bus_interior butchers_shop butte bakery/shop cafeteria campsite candy_store canyon castle
cemetery chalet classroom closet clothing_store coast cockpit coffee_shop conference_center
conference_room construction_site corn_field corridor cottage_garden courthouse courtyard creek
crevasse crosswalk cathedral/outdoor church/outdoor dam dining_room dock dorm_room driveway
desert/sand desert/vegetation dinette/home doorway/outdoor engine_room excavation fairway
fire_escape fire_station food_court forest_path forest_road formal_garden fountain
field/cultivated field/wild galley game_room garbage_dump gas_station gift_shop golf_course
harbor herb_garden highway home_office hospital hospital_room hot_spring hotel_room
hotel/outdoor ice_cream_parlor iceberg igloo islet ice_skating_rink/outdoor inn/outdoor
jail_cell kasbah kindergarden_classroom kitchen kitchenette laundromat lighthouse living_room
lobby locker_room mansion marsh martial_arts_gym mausoleum medina motel mountain mountain_snowy
music_studio market/outdoor monastery/outdoor museum/indoor nursery ocean office
office_building orchard pagoda palace pantry parking_lot parlor pasture patio pavilion
phone_booth picnic_area playground plaza pond pulpit racecourse raft railroad_track rainforest
reception residential_neighborhood restaurant restaurant_kitchen restaurant_patio rice_paddy
river rock_arch rope_bridge ruin runway sandbar schoolhouse sea_cliff shed shoe_shop shopfront
shower ski_resort ski_slope sky skyscraper slum snowfield staircase supermarket swamp
stadium/baseball stadium/football stage/indoor subway_station/platform swimming_pool/outdoor
television_studio topiary_garden tower train_railway tree_farm trench temple/east_asia
temple/south_asia track/outdoor train_station/platform underwater/coral_reef valley
vegetable_garden veranda viaduct volcano waiting_room water_tower watering_hole wheat_field
wind_farm windmill yard""")

OXFORD_IIIT_PETS_CATEGORIES = _words("""
Abyssinian american_bulldog american_pit_bull_terrier basset_hound beagle Bengal Birman Bombay
boxer British_Shorthair chihuahua Egyptian_Mau english_cocker_spaniel english_setter
german_shorthaired great_pyrenees havanese japanese_chin keeshond leonberger Maine_Coon
miniature_pinscher newfoundland Persian pomeranian pug Ragdoll Russian_Blue saint_bernard
samoyed scottish_terrier shiba_inu Siamese Sphynx staffordshire_bull_terrier wheaten_terrier
yorkshire_terrier""")

DTD_CATEGORIES = _words("""
banded blotchy braided bubbly bumpy chequered cobwebbed cracked crosshatched crystalline dotted
fibrous flecked freckled frilly gauzy grid grooved honeycombed interlaced knitted lacelike lined
marbled matted meshed paisley perforated pitted pleated polka-dotted porous potholed scaly
smeared spiralled sprinkled stained stratified striped studded swirly veined waffled woven
wrinkled zigzagged""")

FGVC_AIRCRAFT_CATEGORIES = _lines("""
707-320
727-200
737-200
737-300
737-400
737-500
737-600
737-700
737-800
737-900
747-100
747-200
747-300
747-400
757-200
757-300
767-200
767-300
767-400
777-200
777-300
A300B4
A310
A318
A319
A320
A321
A330-200
A330-300
A340-200
A340-300
A340-500
A340-600
A380
ATR-42
ATR-72
An-12
BAE 146-200
BAE 146-300
BAE-125
Beechcraft 1900
Boeing 717
C-130
C-47
CRJ-200
CRJ-700
CRJ-900
Cessna 172
Cessna 208
Cessna 525
Cessna 560
Challenger 600
DC-10
DC-3
DC-6
DC-8
DC-9-30
DH-82
DHC-1
DHC-6
DHC-8-100
DHC-8-300
DR-400
Dornier 328
E-170
E-190
E-195
EMB-120
ERJ 135
ERJ 145
Embraer Legacy 600
Eurofighter Typhoon
F-16A/B
F/A-18
Falcon 2000
Falcon 900
Fokker 100
Fokker 50
Fokker 70
Global Express
Gulfstream IV
Gulfstream V
Hawk T1
Il-76
L-1011
MD-11
MD-80
MD-87
MD-90
Metroliner
Model B200
PA-28
SR-20
Saab 2000
Saab 340
Spitfire
Tornado
Tu-134
Tu-154
Yak-42""")

STANFORD_CARS_CATEGORIES = _lines("""
AM General Hummer SUV 2000
Acura RL Sedan 2012
Acura TL Sedan 2012
Acura TL Type-S 2008
Acura TSX Sedan 2012
Acura Integra Type R 2001
Acura ZDX Hatchback 2012
Aston Martin V8 Vantage Convertible 2012
Aston Martin V8 Vantage Coupe 2012
Aston Martin Virage Convertible 2012
Aston Martin Virage Coupe 2012
Audi RS 4 Convertible 2008
Audi A5 Coupe 2012
Audi TTS Coupe 2012
Audi R8 Coupe 2012
Audi V8 Sedan 1994
Audi 100 Sedan 1994
Audi 100 Wagon 1994
Audi TT Hatchback 2011
Audi S6 Sedan 2011
Audi S5 Convertible 2012
Audi S5 Coupe 2012
Audi S4 Sedan 2012
Audi S4 Sedan 2007
Audi TT RS Coupe 2012
BMW ActiveHybrid 5 Sedan 2012
BMW 1 Series Convertible 2012
BMW 1 Series Coupe 2012
BMW 3 Series Sedan 2012
BMW 3 Series Wagon 2012
BMW 6 Series Convertible 2007
BMW X5 SUV 2007
BMW X6 SUV 2012
BMW M3 Coupe 2012
BMW M5 Sedan 2010
BMW M6 Convertible 2010
BMW X3 SUV 2012
BMW Z4 Convertible 2012
Bentley Continental Supersports Conv. Convertible 2012
Bentley Arnage Sedan 2009
Bentley Mulsanne Sedan 2011
Bentley Continental GT Coupe 2012
Bentley Continental GT Coupe 2007
Bentley Continental Flying Spur Sedan 2007
Bugatti Veyron 16.4 Convertible 2009
Bugatti Veyron 16.4 Coupe 2009
Buick Regal GS 2012
Buick Rainier SUV 2007
Buick Verano Sedan 2012
Buick Enclave SUV 2012
Cadillac CTS-V Sedan 2012
Cadillac SRX SUV 2012
Cadillac Escalade EXT Crew Cab 2007
Chevrolet Silverado 1500 Hybrid Crew Cab 2012
Chevrolet Corvette Convertible 2012
Chevrolet Corvette ZR1 2012
Chevrolet Corvette Ron Fellows Edition Z06 2007
Chevrolet Traverse SUV 2012
Chevrolet Camaro Convertible 2012
Chevrolet HHR SS 2010
Chevrolet Impala Sedan 2007
Chevrolet Tahoe Hybrid SUV 2012
Chevrolet Sonic Sedan 2012
Chevrolet Express Cargo Van 2007
Chevrolet Avalanche Crew Cab 2012
Chevrolet Cobalt SS 2010
Chevrolet Malibu Hybrid Sedan 2010
Chevrolet TrailBlazer SS 2009
Chevrolet Silverado 2500HD Regular Cab 2012
Chevrolet Silverado 1500 Classic Extended Cab 2007
Chevrolet Express Van 2007
Chevrolet Monte Carlo Coupe 2007
Chevrolet Malibu Sedan 2007
Chevrolet Silverado 1500 Extended Cab 2012
Chevrolet Silverado 1500 Regular Cab 2012
Chrysler Aspen SUV 2009
Chrysler Sebring Convertible 2010
Chrysler Town and Country Minivan 2012
Chrysler 300 SRT-8 2010
Chrysler Crossfire Convertible 2008
Chrysler PT Cruiser Convertible 2008
Daewoo Nubira Wagon 2002
Dodge Caliber Wagon 2012
Dodge Caliber Wagon 2007
Dodge Caravan Minivan 1997
Dodge Ram Pickup 3500 Crew Cab 2010
Dodge Ram Pickup 3500 Quad Cab 2009
Dodge Sprinter Cargo Van 2009
Dodge Journey SUV 2012
Dodge Dakota Crew Cab 2010
Dodge Dakota Club Cab 2007
Dodge Magnum Wagon 2008
Dodge Challenger SRT8 2011
Dodge Durango SUV 2012
Dodge Durango SUV 2007
Dodge Charger Sedan 2012
Dodge Charger SRT-8 2009
Eagle Talon Hatchback 1998
FIAT 500 Abarth 2012
FIAT 500 Convertible 2012
Ferrari FF Coupe 2012
Ferrari California Convertible 2012
Ferrari 458 Italia Convertible 2012
Ferrari 458 Italia Coupe 2012
Fisker Karma Sedan 2012
Ford F-450 Super Duty Crew Cab 2012
Ford Mustang Convertible 2007
Ford Freestar Minivan 2007
Ford Expedition EL SUV 2009
Ford Edge SUV 2012
Ford Ranger SuperCab 2011
Ford GT Coupe 2006
Ford F-150 Regular Cab 2012
Ford F-150 Regular Cab 2007
Ford Focus Sedan 2007
Ford E-Series Wagon Van 2012
Ford Fiesta Sedan 2012
GMC Terrain SUV 2012
GMC Savana Van 2012
GMC Yukon Hybrid SUV 2012
GMC Acadia SUV 2012
GMC Canyon Extended Cab 2012
Geo Metro Convertible 1993
HUMMER H3T Crew Cab 2010
HUMMER H2 SUT Crew Cab 2009
Honda Odyssey Minivan 2012
Honda Odyssey Minivan 2007
Honda Accord Coupe 2012
Honda Accord Sedan 2012
Hyundai Veloster Hatchback 2012
Hyundai Santa Fe SUV 2012
Hyundai Tucson SUV 2012
Hyundai Veracruz SUV 2012
Hyundai Sonata Hybrid Sedan 2012
Hyundai Elantra Sedan 2007
Hyundai Accent Sedan 2012
Hyundai Genesis Sedan 2012
Hyundai Sonata Sedan 2012
Hyundai Elantra Touring Hatchback 2012
Hyundai Azera Sedan 2012
Infiniti G Coupe IPL 2012
Infiniti QX56 SUV 2011
Isuzu Ascender SUV 2008
Jaguar XK XKR 2012
Jeep Patriot SUV 2012
Jeep Wrangler SUV 2012
Jeep Liberty SUV 2012
Jeep Grand Cherokee SUV 2012
Jeep Compass SUV 2012
Lamborghini Reventon Coupe 2008
Lamborghini Aventador Coupe 2012
Lamborghini Gallardo LP 570-4 Superleggera 2012
Lamborghini Diablo Coupe 2001
Land Rover Range Rover SUV 2012
Land Rover LR2 SUV 2012
Lincoln Town Car Sedan 2011
MINI Cooper Roadster Convertible 2012
Maybach Landaulet Convertible 2012
Mazda Tribute SUV 2011
McLaren MP4-12C Coupe 2012
Mercedes-Benz 300-Class Convertible 1993
Mercedes-Benz C-Class Sedan 2012
Mercedes-Benz SL-Class Coupe 2009
Mercedes-Benz E-Class Sedan 2012
Mercedes-Benz S-Class Sedan 2012
Mercedes-Benz Sprinter Van 2012
Mitsubishi Lancer Sedan 2012
Nissan Leaf Hatchback 2012
Nissan NV Passenger Van 2012
Nissan Juke Hatchback 2012
Nissan 240SX Coupe 1998
Plymouth Neon Coupe 1999
Porsche Panamera Sedan 2012
Ram C/V Cargo Van Minivan 2012
Rolls-Royce Phantom Drophead Coupe Convertible 2012
Rolls-Royce Ghost Sedan 2012
Rolls-Royce Phantom Sedan 2012
Scion xD Hatchback 2012
Spyker C8 Convertible 2009
Spyker C8 Coupe 2009
Suzuki Aerio Sedan 2007
Suzuki Kizashi Sedan 2012
Suzuki SX4 Hatchback 2012
Suzuki SX4 Sedan 2012
Tesla Model S Sedan 2012
Toyota Sequoia SUV 2012
Toyota Camry Sedan 2012
Toyota Corolla Sedan 2012
Toyota 4Runner SUV 2012
Volkswagen Golf Hatchback 2012
Volkswagen Golf Hatchback 1991
Volkswagen Beetle Hatchback 2012
Volvo C30 Hatchback 2012
Volvo 240 Sedan 1993
Volvo XC90 SUV 2007
smart fortwo Convertible 2012""")

SUN397_CATEGORIES = _words("""
/a/abbey /a/airplane_cabin /a/airport_terminal /a/alley /a/amphitheater /a/amusement_arcade
/a/amusement_park /a/anechoic_chamber /a/apartment_building/outdoor /a/apse/indoor /a/aquarium
/a/aqueduct /a/arch /a/archive /a/arrival_gate/outdoor /a/art_gallery /a/art_school
/a/art_studio /a/assembly_line /a/athletic_field/outdoor /a/atrium/public /a/attic
/a/auditorium /a/auto_factory /b/badlands /b/badminton_court/indoor /b/baggage_claim
/b/bakery/shop /b/balcony/exterior /b/balcony/interior /b/ball_pit /b/ballroom
/b/bamboo_forest /b/banquet_hall /b/bar /b/barn /b/barndoor /b/baseball_field /b/basement
/b/basilica /b/basketball_court/outdoor /b/bathroom /b/batters_box /b/bayou /b/bazaar/indoor
/b/bazaar/outdoor /b/beach /b/beauty_salon /b/bedroom /b/berth /b/biology_laboratory
/b/bistro/indoor /b/boardwalk /b/boat_deck /b/boathouse /b/bookstore /b/booth/indoor
/b/botanical_garden /b/bow_window/indoor /b/bow_window/outdoor /b/bowling_alley
/b/boxing_ring /b/brewery/indoor /b/bridge /b/building_facade /b/bullring /b/burial_chamber
/b/bus_interior /b/butchers_shop /b/butte /c/cabin/outdoor /c/cafeteria /c/campsite
/c/campus /c/canal/natural /c/canal/urban /c/candy_store /c/canyon /c/car_interior/backseat
/c/car_interior/frontseat /c/carrousel /c/casino/indoor /c/castle /c/catacomb
/c/cathedral/indoor /c/cathedral/outdoor /c/cavern/indoor /c/cemetery /c/chalet
/c/cheese_factory /c/chemistry_lab /c/chicken_coop/indoor /c/chicken_coop/outdoor
/c/childs_room /c/church/indoor /c/church/outdoor /c/classroom /c/clean_room /c/cliff
/c/cloister/indoor /c/closet /c/clothing_store /c/coast /c/cockpit /c/coffee_shop
/c/computer_room /c/conference_center /c/conference_room /c/construction_site
/c/control_room /c/control_tower/outdoor /c/corn_field /c/corral /c/corridor
/c/cottage_garden /c/courthouse /c/courtroom /c/courtyard /c/covered_bridge/exterior
/c/creek /c/crevasse /c/crosswalk /c/cubicle/office /d/dam /d/delicatessen
/d/dentists_office /d/desert/sand /d/desert/vegetation /d/diner/indoor /d/diner/outdoor
/d/dinette/home /d/dinette/vehicle /d/dining_car /d/dining_room /d/discotheque /d/dock
/d/doorway/outdoor /d/dorm_room /d/driveway /d/driving_range/outdoor /d/drugstore
/e/electrical_substation /e/elevator/door /e/elevator/interior /e/elevator_shaft
/e/engine_room /e/escalator/indoor /e/excavation /f/factory/indoor /f/fairway
/f/fastfood_restaurant /f/field/cultivated /f/field/wild /f/fire_escape /f/fire_station
/f/firing_range/indoor /f/fishpond /f/florist_shop/indoor /f/food_court /f/forest/broadleaf
/f/forest/needleleaf /f/forest_path /f/forest_road /f/formal_garden /f/fountain /g/galley
/g/game_room /g/garage/indoor /g/garbage_dump /g/gas_station /g/gazebo/exterior
/g/general_store/indoor /g/general_store/outdoor /g/gift_shop /g/golf_course
/g/greenhouse/indoor /g/greenhouse/outdoor /g/gymnasium/indoor /h/hangar/indoor
/h/hangar/outdoor /h/harbor /h/hayfield /h/heliport /h/herb_garden /h/highway /h/hill
/h/home_office /h/hospital /h/hospital_room /h/hot_spring /h/hot_tub/outdoor /h/hotel/outdoor
/h/hotel_room /h/house /h/hunting_lodge/outdoor /i/ice_cream_parlor /i/ice_floe /i/ice_shelf
/i/ice_skating_rink/indoor /i/ice_skating_rink/outdoor /i/iceberg /i/igloo
/i/industrial_area /i/inn/outdoor /i/islet /j/jacuzzi/indoor /j/jail/indoor /j/jail_cell
/j/jewelry_shop /k/kasbah /k/kennel/indoor /k/kennel/outdoor /k/kindergarden_classroom
/k/kitchen /k/kitchenette /l/labyrinth/outdoor /l/lake/natural /l/landfill /l/landing_deck
/l/laundromat /l/lecture_room /l/library/indoor /l/library/outdoor /l/lido_deck/outdoor
/l/lift_bridge /l/lighthouse /l/limousine_interior /l/living_room /l/lobby /l/lock_chamber
/l/locker_room /m/mansion /m/manufactured_home /m/market/indoor /m/market/outdoor /m/marsh
/m/martial_arts_gym /m/mausoleum /m/medina /m/moat/water /m/monastery/outdoor
/m/mosque/indoor /m/mosque/outdoor /m/motel /m/mountain /m/mountain_snowy
/m/movie_theater/indoor /m/museum/indoor /m/music_store /m/music_studio
/n/nuclear_power_plant/outdoor /n/nursery /o/oast_house /o/observatory/outdoor /o/ocean
/o/office /o/office_building /o/oil_refinery/outdoor /o/oilrig /o/operating_room /o/orchard
/o/outhouse/outdoor /p/pagoda /p/palace /p/pantry /p/park /p/parking_garage/indoor
/p/parking_garage/outdoor /p/parking_lot /p/parlor /p/pasture /p/patio /p/pavilion
/p/pharmacy /p/phone_booth /p/physics_laboratory /p/picnic_area /p/pilothouse/indoor
/p/planetarium/outdoor /p/playground /p/playroom /p/plaza /p/podium/indoor /p/podium/outdoor
/p/pond /p/poolroom/establishment /p/poolroom/home /p/power_plant/outdoor /p/promenade_deck
/p/pub/indoor /p/pulpit /p/putting_green /r/racecourse /r/raceway /r/raft /r/railroad_track
/r/rainforest /r/reception /r/recreation_room /r/residential_neighborhood /r/restaurant
/r/restaurant_kitchen /r/restaurant_patio /r/rice_paddy /r/riding_arena /r/river
/r/rock_arch /r/rope_bridge /r/ruin /r/runway /s/sandbar /s/sandbox /s/sauna /s/schoolhouse
/s/sea_cliff /s/server_room /s/shed /s/shoe_shop /s/shopfront /s/shopping_mall/indoor
/s/shower /s/skatepark /s/ski_lodge /s/ski_resort /s/ski_slope /s/sky /s/skyscraper /s/slum
/s/snowfield /s/squash_court /s/stable /s/stadium/baseball /s/stadium/football
/s/stage/indoor /s/staircase /s/street /s/subway_interior /s/subway_station/platform
/s/supermarket /s/sushi_bar /s/swamp /s/swimming_pool/indoor /s/swimming_pool/outdoor
/s/synagogue/indoor /s/synagogue/outdoor /t/television_studio /t/temple/east_asia
/t/temple/south_asia /t/tennis_court/indoor /t/tennis_court/outdoor /t/tent/outdoor
/t/theater/indoor_procenium /t/theater/indoor_seats /t/thriftshop /t/throne_room
/t/ticket_booth /t/toll_plaza /t/topiary_garden /t/tower /t/toyshop /t/track/outdoor
/t/train_railway /t/train_station/platform /t/tree_farm /t/tree_house /t/trench
/u/underwater/coral_reef /u/utility_room /v/valley /v/van_interior /v/vegetable_garden
/v/veranda /v/veterinarians_office /v/viaduct /v/videostore /v/village /v/vineyard
/v/volcano /v/volleyball_court/indoor /v/volleyball_court/outdoor /w/waiting_room
/w/warehouse/indoor /w/water_tower /w/waterfall/block /w/waterfall/fan /w/waterfall/plunge
/w/watering_hole /w/wave /w/wet_bar /w/wheat_field /w/wind_farm /w/windmill
/w/wine_cellar/barrel_storage /w/wine_cellar/bottle_storage /w/wrestling_ring/indoor /y/yard
/y/youth_hostel""")

CALTECH101_CATEGORIES = _words("""
BACKGROUND_Google Faces Faces_easy Leopards Motorbikes accordion airplanes anchor ant barrel
bass beaver binocular bonsai brain brontosaurus buddha butterfly camera cannon car_side
ceiling_fan cellphone chair chandelier cougar_body cougar_face crab crayfish crocodile
crocodile_head cup dalmatian dollar_bill dolphin dragonfly electric_guitar elephant emu
euphonium ewer ferry flamingo flamingo_head garfield gerenuk gramophone grand_piano hawksbill
headphone hedgehog helicopter ibis inline_skate joshua_tree kangaroo ketch lamp laptop llama
lobster lotus mandolin mayfly menorah metronome minaret nautilus octopus okapi pagoda panda
pigeon pizza platypus pyramid revolver rhino rooster saxophone schooner scissors scorpion
sea_horse snoopy soccer_ball stapler starfish stegosaurus stop_sign strawberry sunflower tick
trilobite umbrella watch water_lilly wheelchair wild_cat windsor_chair wrench yin_yang""")

FOOD101_CATEGORIES = _words("""
apple_pie baby_back_ribs baklava beef_carpaccio beef_tartare beet_salad beignets bibimbap
bread_pudding breakfast_burrito bruschetta caesar_salad cannoli caprese_salad carrot_cake
ceviche cheesecake cheese_plate chicken_curry chicken_quesadilla chicken_wings chocolate_cake
chocolate_mousse churros clam_chowder club_sandwich crab_cakes creme_brulee croque_madame
cup_cakes deviled_eggs donuts dumplings edamame eggs_benedict escargots falafel filet_mignon
fish_and_chips foie_gras french_fries french_onion_soup french_toast fried_calamari fried_rice
frozen_yogurt garlic_bread gnocchi greek_salad grilled_cheese_sandwich grilled_salmon guacamole
gyoza hamburger hot_and_sour_soup hot_dog huevos_rancheros hummus ice_cream lasagna
lobster_bisque lobster_roll_sandwich macaroni_and_cheese macarons miso_soup mussels nachos
omelette onion_rings oysters pad_thai paella pancakes panna_cotta peking_duck pho pizza
pork_chop poutine prime_rib pulled_pork_sandwich ramen ravioli red_velvet_cake risotto samosa
sashimi scallops seaweed_salad shrimp_and_grits spaghetti_bolognese spaghetti_carbonara
spring_rolls steak strawberry_shortcake sushi tacos takoyaki tiramisu tuna_tartare waffles""")
