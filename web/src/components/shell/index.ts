export { LogoutButton } from './logout-button';
export { type ShellStrings, shellStrings } from './strings';
export { TopBar, type TopBarProps } from './top-bar';
