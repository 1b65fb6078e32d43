"""Words of the everyday domains people keep notes about, in English and Russian.

A word here adds a concept feature (`k:health`) to any text that uses it, so "dentist",
"ibuprofen" and "терапевт" all meet the topic described as "Doctors, medicines…" although no
word is shared. Concepts are not topics: a user's topic gets whichever concepts its name,
description and confirmed notes carry, and the classifier learns the rest. Words are stemmed on
load, so one form of each is enough.
"""

from __future__ import annotations

CONCEPTS: dict[str, str] = {
    "health": """
        health healthy doctor doctors gp physician therapist dentist dental tooth teeth
        clinic hospital pharmacy prescription medicine medication pill pills tablet dose mg ml
        syrup drops ointment cream antibiotic ibuprofen paracetamol aspirin antihistamine vitamin
        vitamins magnesium iron supplement vaccine vaccination shot jab flu cold cough fever
        temperature sore throat headache migraine pain ache hurts aching back knee shoulder neck
        stomach heartburn nausea allergy allergic rash itch blood test tests results scan x-ray
        mri ultrasound pressure pulse heart cholesterol sugar glucose eye eyes vision glasses
        optician prescription physio physiotherapy massage injury sprain sleep slept insomnia
        tired fatigue nap symptom symptoms diagnosis checkup appointment nurse surgeon operation
        recovery sick ill illness diet calories weight
        здоровье врач врачи доктор терапевт педиатр стоматолог зуб зубы пломба клиника
        поликлиника больница аптека рецепт лекарство лекарства таблетка таблетки доза сироп
        капли мазь крем антибиотик ибупрофен парацетамол аспирин витамин витамины магний железо
        прививка вакцина грипп простуда кашель температура горло голова болит боль болит спина
        колено плечо шея живот изжога тошнота аллергия сыпь зуд анализ анализы кровь узи мрт
        рентген давление пульс сердце холестерин сахар глаз глаза зрение очки окулист массаж
        травма растяжение сон спать выспаться бессонница усталость симптом симптомы диагноз
        осмотр запись медсестра хирург операция болеть больной диета вес калории
        """,
    "fitness": """
        workout workouts exercise training gym run ran running jog jogging km mile miles pace
        steps walk walking swim swimming pool yoga pilates stretching bike cycling cardio
        strength weights squats pushups plank marathon race coach trainer sport sports fitness
        тренировка тренировки упражнения зал спортзал бег пробежал пробежка бегать км шаги
        ходьба плавание бассейн йога пилатес растяжка велосипед кардио силовая приседания
        отжимания планка марафон забег тренер спорт фитнес зарядка
        """,
    "food": """
        recipe recipes cook cooking bake baking roast fry boil simmer stew grill oven pan pot
        bowl whisk mix stir chop slice dice knead dough batter sauce glaze marinade soup salad
        bread cake pie cookies pancakes porridge oats rice pasta noodles pizza curry stew
        chicken beef pork fish salmon tuna mackerel shrimp egg eggs cheese butter cream milk
        yogurt flour sugar salt pepper garlic onion tomato tomatoes potato potatoes carrot
        cabbage beet beetroot eggplant pepper peppers lentils beans chickpeas mushrooms herbs
        basil coriander cilantro dill parsley cumin paprika cinnamon ginger honey lemon lime
        vinegar oil olive soy miso cup cups tablespoon teaspoon spoon pinch gram grams minutes
        degrees dish dinner lunch breakfast dessert snack tasty delicious ingredients
        рецепт рецепты готовить приготовить печь испечь запечь жарить варить тушить духовка
        сковорода кастрюля миска взбить смешать нарезать тесто соус маринад суп салат хлеб
        пирог торт печенье блины оладьи каша овсянка рис макароны паста пицца плов борщ щи
        окрошка пельмени сырники шарлотка оливье курица говядина свинина рыба лосось скумбрия
        креветки яйцо яйца сыр масло сливки молоко кефир йогурт творог сметана мука сахар соль
        перец чеснок лук помидор помидоры картошка картофель морковь капуста свекла баклажан
        чечевица фасоль нут грибы зелень укроп петрушка кинза зира паприка корица имбирь мед
        лимон уксус стакан ложка ложки щепотка грамм минут градусов блюдо ужин обед завтрак
        десерт вкусно ингредиенты
        """,
    "shopping": """
        buy bought purchase order shop shopping store supermarket market groceries grocery
        list need cart delivery amazon ozon wildberries price cheap discount sale wishlist
        pack bottle box refill replace new spare household detergent soap shampoo toothpaste
        toothbrush floss sponges sponge towels napkins wipes diapers trash bags foil tissues
        batteries bulbs bulb charger cable headphones case adapter filter shoes boots sneakers
        jacket coat gloves scarf hat socks t-shirt jeans dress clothes size
        купить купил покупки заказать заказ магазин супермаркет рынок продукты список нужно
        доставка озон вайлдберриз цена дешево скидка распродажа вишлист упаковка бутылка
        запасной хозяйственное средство мыло шампунь паста щетка нить губки полотенца
        салфетки подгузники мешки мусора фольга батарейки лампочки лампочка зарядка кабель
        наушники чехол переходник фильтр обувь ботинки кроссовки куртка пальто перчатки шарф
        шапка носки футболка джинсы одежда
        """,
    "money": """
        money pay paid payment bill bills invoice rent utilities electricity budget spend spent
        expense expenses cost costs price save saved savings deposit fund invest investment
        stocks broker account bank card credit debit loan mortgage interest rate debt
        owe owes owed lend lent borrow borrowed repay refund cashback fee fees charge charged
        tax taxes return deduction accountant salary wage income bonus pension insurance
        premium subscription transfer cash currency dollars euros rubles split receipt
        деньги платить оплатить оплата платеж счет счета квитанция квартплата коммуналка аренда
        электричество бюджет тратить потратил потратили расход расходы стоимость копить
        накопления отложить вклад депозит инвестиции акции брокер брокерский иис банк карта
        кредит кредитка ипотека процент ставка долг должен должна одолжил занять вернуть
        возврат кэшбэк комиссия списание списывают налог налоги декларация вычет бухгалтер
        зарплата доход премия пенсия страховка подписка перевод наличные валюта рубли тариф
        дорого
        """,
    "travel": """
        travel trip journey vacation holiday holidays flight flights fly plane airport airline
        ticket tickets boarding gate layover transfer connection train station platform bus
        ferry cruise hotel hostel airbnb booking booked reservation check-in checkout visa
        passport customs border luggage suitcase backpack packing pack adapter sightseeing
        tour guide museum beach sea mountains hike hiking camping tent camper road abroad
        city country map route itinerary tram metro taxi car rental insurance
        paris london rome milan venice florence naples barcelona madrid seville valencia lisbon
        porto berlin munich hamburg vienna prague budapest warsaw krakow amsterdam brussels
        copenhagen stockholm oslo helsinki tallinn riga vilnius dublin edinburgh athens
        istanbul antalya cyprus malta tbilisi batumi yerevan baku almaty tashkent samarkand
        dubai cairo tokyo kyoto seoul beijing shanghai bangkok phuket bali singapore hanoi
        delhi goa boston chicago miami toronto mexico havana rio
        europe asia africa america japan china korea india thailand vietnam indonesia georgia
        armenia turkey egypt italy spain france germany austria czechia hungary poland greece
        portugal netherlands switzerland norway sweden finland iceland uae israel morocco
        sochi kazan moscow petersburg kaliningrad murmansk baikal altai crimea kamchatka
        путешествие поездка поехать съездить отпуск каникулы перелет рейс самолет аэропорт
        билет билеты посадка пересадка трансфер поезд вокзал платформа вагон автобус паром
        круиз отель гостиница хостел бронь бронирование забронировать заселение виза
        загранпаспорт паспорт таможня граница багаж чемодан рюкзак поход палатка спальник
        экскурсия музей пляж море горы маршрут город страна карта трамвай метро такси прокат
        страховка париж лондон рим милан венеция флоренция барселона мадрид лиссабон порту
        берлин мюнхен вена прага будапешт варшава амстердам копенгаген стокгольм осло хельсинки
        таллин рига вильнюс афины стамбул анталья кипр тбилиси батуми ереван баку алматы
        ташкент самарканд дубай каир токио сеул пекин бангкок пхукет бали сингапур вьетнам гоа
        нью-йорк европа азия япония китай корея индия таиланд индонезия грузия армения турция
        египет италия испания франция германия австрия чехия венгрия польша греция португалия
        норвегия швеция финляндия исландия израиль марокко сочи казань москва питер петербург
        калининград мурманск байкал алтай крым камчатка карелия
        """,
    "work": """
        work job office team manager boss colleague colleagues client meeting meetings
        standup sync call calls agenda deadline project projects roadmap sprint retro
        retrospective review reviews release deploy deployment bug bugs incident postmortem
        feature spec requirements estimate report reports presentation deck slides demo
        conference hr hire hiring interview candidate onboarding intern
        performance promotion salary vacation approve approved decision decisions stakeholder
        okr kpi quarter q1 q2 q3 q4 jira gitlab github slack confluence backend frontend
        работа офис команда менеджер начальник руководитель коллега коллеги клиент заказчик
        встреча встречи планерка созвон звонок повестка дедлайн срок сроки проект проекты
        спринт ретро ревью релиз деплой баг баги инцидент фича тз требования оценить оценка
        отчет отчеты презентация демо конференция кадров собеседование кандидат стажер
        стажировка повышение отпуск согласовать согласование решение решили квартал джира
        гитлаб интеграция модуль директоров переговорка задача задачи
        """,
    "media": """
        read reading article articles post essay blog newsletter book books novel author
        chapter pages story stories poem poetry finish reread watch watching video videos
        youtube film films movie movies series show episode season documentary lecture talk
        podcast podcasts listen audiobook thread link bookmark later recommend recommendation
        review
        читать почитать прочитать дочитать перечитать статья статьи пост эссе блог рассылка
        книга книги роман автор глава страницы рассказ рассказы стихи посмотреть смотреть
        пересмотреть видео ютуб фильм фильмы кино сериал серия сезон документальный лекция
        подкаст подкасты выпуск слушать аудиокнига ссылка закладка потом советуют посоветовал
        """,
    "ideas": """
        idea ideas maybe perhaps someday what could might try experiment project side startup
        app concept plan dream imagine invent create build design make write story plot
        podcast channel blog post theme gift surprise hobby learn
        идея идеи может можно когда-нибудь попробовать эксперимент проект стартап приложение
        концепция план мечта придумать создать сделать написать сюжет канал блог пост тема
        подарок подарить сюрприз хобби научиться
        """,
    "chores": """
        todo to-do do done task tasks remember forget call phone ring email reply send
        pick collect return renew book schedule register sign fix repair replace change
        clean cleaning tidy wash laundry dry cleaning take bring drop deliver post office
        parcel appointment deadline before until by weekend tomorrow today tonight
        дело дела сделать сделано задача задачи не забыть напомнить позвонить написать
        ответить отправить забрать вернуть продлить записать записаться починить поменять
        заменить убрать уборка помыть постирать погладить химчистка отнести отвезти привезти
        вынести почта посылка сдать оформить до завтра сегодня вечером выходные
        """,
    "home": """
        home house flat apartment room kitchen bathroom balcony garage landlord neighbour
        neighbor plumber electrician repair leak leaking tap faucet boiler heating radiator
        socket outlet switch shelf shelves furniture sofa wardrobe door lock key keys window
        paint wall floor meter water gas elevator lift management smoke detector
        freezer fridge dishwasher washing machine vacuum
        дом квартира комната кухня ванная балкон гараж хозяин сосед соседи сантехник
        электрик ремонт течет кран бойлер отопление батарея розетка выключатель полка полки
        мебель диван шкаф дверь замок ключ ключи окно краска стена пол счетчик счетчиков
        показания вода газ лифт управляющая компания морозилка холодильник
        посудомойка стиральная пылесос
        """,
    "family": """
        family kid kids child children son daughter baby mum mom mother dad father parents
        grandma grandpa granny grandparents wife husband sister brother aunt uncle school
        kindergarten teacher class lessons homework birthday anniversary wedding
        семья ребенок дети сын дочь малыш мама папа родители бабушка дедушка жена муж сестра
        брат тетя дядя школа садик детский сад учитель учительница класс уроки домашка день
        рождения годовщина свадьба
        """,
    "facts": """
        code codes password passcode pin login username wifi network number phone contact
        address street apartment flat floor entrance intercom parking size sizes policy contract
        account id birthday named called name
        код коды пароль пин логин вайфай сеть номер телефон контакт адрес улица квартира этаж
        подъезд домофон парковка размер размеры полис договор лицевой инн зовут имя
        """,
    "pets": """
        pet pets cat cats kitten dog dogs puppy vet litter leash collar feed
        кот кошка котенок собака щенок ветеринар ветклиника наполнитель поводок ошейник корм
        """,
    "car": """
        car cars tyres oil service mechanic garage parking fuel petrol diesel license
        registration inspection insurance wash
        машина авто автомобиль резина шины шиномонтаж масло сервис механик парковка бензин
        права техосмотр осаго мойка
        """,
    "software": """
        code software server database sql postgres sqlite api http deploy bug release git
        python javascript android ios app backend frontend index indexes migration browser
        extension bot bots programming developer
        код сервер база данных индексы миграция апи релиз баг гит бот программирование
        разработчик разработка
        """,
    "schedule": """
        monday tuesday wednesday thursday friday saturday sunday weekend morning evening night
        tomorrow today week month january february march april june july august september
        october november december am pm
        понедельник вторник среда среду четверг пятница пятницу суббота субботу воскресенье
        выходные утро утром вечер вечером ночь завтра сегодня неделя неделю месяц январь
        февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь
        """,
}
