export type Lang = 'zh' | 'en';

export function langOf(value: string | string[] | undefined): Lang {
  return value === 'en' ? 'en' : 'zh';
}

const dict = {
  zh: {
    title: '应急指挥视频墙',
    subtitle: '常州市公共安全视频图像信息系统',
    username: '用户名',
    password: '密码',
    submit: '登录',
    submitting: '正在登录…',
    status: '系统状态',
    gateway: '网关',
    ok: '正常',
    down: '不可用',
    switchLang: 'English',
    notice: '本系统仅供依法授权人员使用,所有访问均被记录审计。',
    loginUnavailable: '登录服务暂不可用',
    loginFailed: '登录失败',
  },
  en: {
    title: 'Emergency Command Video Wall',
    subtitle: 'Changzhou public-security video image information system',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    submitting: 'Signing in…',
    status: 'System status',
    gateway: 'Gateway',
    ok: 'up',
    down: 'down',
    switchLang: '中文',
    notice: 'For lawfully authorised staff only. Every access is recorded and audited.',
    loginUnavailable: 'Sign-in service unavailable',
    loginFailed: 'Sign-in failed',
  },
} as const;

export type Messages = { [K in keyof (typeof dict)['zh']]: string };

export function messages(lang: Lang): Messages {
  return dict[lang];
}
