// Lint of the chat's static JavaScript (ES modules in the browser; the admin's classic scripts)
// and of its unit tests (Node).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", ".venv/", "build/", "dist/", "htmlcov/", "docs/_build/"] },
  js.configs.recommended,
  {
    files: ["oscar_chat/static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
    rules: { "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }], eqeqeq: ["error", "smart"] },
  },
  {
    // The admin's pages still load these as classic scripts.
    files: ["oscar_chat/static/oscar_chat/js/admin-live.js", "oscar_chat/static/oscar_chat/js/admin-changelist.js"],
    languageOptions: { sourceType: "script" },
  },
  {
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
