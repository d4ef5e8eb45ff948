// Light, dark or the system's choice, remembered per browser.
export type ThemeChoice = "light" | "dark" | "system";
const KEY = "drift.theme";

export function loadTheme(): ThemeChoice {
  const stored = localStorage.getItem(KEY);
  return stored === "light" || stored === "dark" ? stored : "system";
}

export function applyTheme(choice: ThemeChoice) {
  if (choice === "system") {
    localStorage.removeItem(KEY);
    document.documentElement.removeAttribute("data-theme");
  } else {
    localStorage.setItem(KEY, choice);
    document.documentElement.setAttribute("data-theme", choice);
  }
}
