export { type CapacityBanner, capacityBanner, isRecovery } from './capacity';
export { CapacityBannerControl, CapacityBannerView } from './capacity-banner';
export { LogoutButton } from './logout-button';
export { type ShellStrings, shellStrings } from './strings';
export { TopBar, type TopBarProps } from './top-bar';
