export default {
  en: {
    tabs: { label: 'Sections', topics: 'Topics', ai: 'AI', agenda: 'Agenda', profile: 'Profile', subscriptions: 'Subscriptions' },
    common: { empty: 'Nothing here yet.', save: 'Save', saved: 'Saved', edit: 'Edit', cancel: 'Cancel', remove: 'Remove', error: 'Something went wrong: {detail}', notAvailable: 'Not available yet.', noLaunch: 'Open this page from the bot in Telegram.' },
    hello: 'Hello, {name}',
    topics: { title: 'Note topics', name: 'Topic name', description: 'Description' },
    ai: { title: 'AI settings' },
    agenda: { title: 'Agenda', add: 'New event', eventTitle: 'Title', start: 'Starts', end: 'Ends' },
    profile: { title: 'Match profile' },
    subscriptions: { title: 'Repost subscriptions' },
  },
  ru: {
    tabs: { label: 'Разделы', topics: 'Темы', ai: 'ИИ', agenda: 'Повестка', profile: 'Профиль', subscriptions: 'Подписки' },
    common: { empty: 'Пока ничего нет.', save: 'Сохранить', saved: 'Сохранено', edit: 'Изменить', cancel: 'Отмена', remove: 'Удалить', error: 'Что-то пошло не так: {detail}', notAvailable: 'Пока недоступно.', noLaunch: 'Откройте эту страницу из бота в Telegram.' },
    hello: 'Привет, {name}',
    topics: { title: 'Темы заметок', name: 'Название темы', description: 'Описание' },
    ai: { title: 'Настройки ИИ' },
    agenda: { title: 'Повестка', add: 'Новое событие', eventTitle: 'Название', start: 'Начало', end: 'Конец' },
    profile: { title: 'Профиль знакомств' },
    subscriptions: { title: 'Подписки на репосты' },
  },
}
