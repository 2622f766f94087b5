// What the chat's scripts find on the page: Django's JavaScript catalog and the admin's shared state.
interface Window {
  OscarChat: any;
  gettext?: (s: string) => string;
  ngettext?: (singular: string, plural: string, n: number) => string;
}
