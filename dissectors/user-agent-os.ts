/**
 * Operating-system family of the device behind an HTTP User-Agent.
 *
 * A User-Agent (RFC 9110 10.1.5) is free text; browsers put the platform in
 * the first comment ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) ..."), apps
 * and system services use their own forms ("Dalvik/2.1.0 (Linux; U; Android
 * 11; ...)", "App/1 CFNetwork/1220.1 Darwin/20.3.0", "Microsoft-CryptoAPI/10.0",
 * "curl/7.24.0 (x86_64-apple-darwin12.0)"). This looks for the tokens that
 * name a platform, most specific first, because UAs borrow each other's
 * tokens: Android and Tizen UAs say "Linux", iOS UAs say "like Mac OS X",
 * Windows Phone UAs say "Android" and "iPhone", Xbox UAs say "Windows NT".
 *
 * Families returned (OsFamily): 'Android', 'iOS', 'iPadOS', 'watchOS', 'tvOS',
 * 'macOS', 'Windows', 'Windows Phone', 'Xbox', 'PlayStation', 'Nintendo',
 * 'ChromeOS', 'Linux', 'FreeBSD', 'OpenBSD', 'NetBSD', 'Tizen', 'webOS',
 * 'KaiOS', 'HarmonyOS', 'BlackBerry', 'Symbian'.
 *
 * null when the UA names no platform: libraries and tools (okhttp, curl
 * without a build triple, Go-http-client, Java, python-requests), bare device
 * models, crawlers, scanners. Known approximations:
 *  - an iPad running iPadOS 13+ in Safari's default "desktop" mode sends a Mac
 *    UA and is reported as macOS;
 *  - "iPad" is reported as iPadOS even for iOS versions before iPadOS existed;
 *  - CFNetwork/Darwin app UAs are iOS unless they carry a Mac architecture or
 *    model ("(x86_64)", "(arm64)", "MacBookPro"), which is how macOS apps'
 *    UAs differ; Apple system services that say neither stay ambiguous → iOS;
 *  - Linux distributions, Android forks (Fire OS, MIUI...) and smart TVs on
 *    Android are folded into their base family.
 */

export type OsFamily =
  | 'Android'
  | 'iOS'
  | 'iPadOS'
  | 'watchOS'
  | 'tvOS'
  | 'macOS'
  | 'Windows'
  | 'Windows Phone'
  | 'Xbox'
  | 'PlayStation'
  | 'Nintendo'
  | 'ChromeOS'
  | 'Linux'
  | 'FreeBSD'
  | 'OpenBSD'
  | 'NetBSD'
  | 'Tizen'
  | 'webOS'
  | 'KaiOS'
  | 'HarmonyOS'
  | 'BlackBerry'
  | 'Symbian';

/** Ordered: the first rule whose pattern matches decides. */
const RULES: readonly (readonly [RegExp, OsFamily])[] = [
  // Platforms whose UAs also carry another platform's tokens.
  [/Windows Phone|Windows Mobile|WPDesktop|IEMobile/, 'Windows Phone'],
  [/Xbox/, 'Xbox'],
  [/PlayStation|PLAYSTATION/, 'PlayStation'],
  [/Nintendo/, 'Nintendo'],
  [/KAIOS|KaiOS/, 'KaiOS'],
  [/HarmonyOS|OpenHarmony/, 'HarmonyOS'],
  [/Tizen/, 'Tizen'],
  [/Web0S|webOS|WebOS|hpwOS/, 'webOS'],
  [/BlackBerry|BB10|RIM Tablet/, 'BlackBerry'],
  [/SymbianOS|Symbian\/|Series ?60/, 'Symbian'],
  [/\bCrOS\b/, 'ChromeOS'],
  // Android before Linux: Android UAs say "Linux; Android"; apps also name it in lower case ("com.google.android.youtube").
  [/android/i, 'Android'],
  // Apple devices before macOS: their UAs say "like Mac OS X".
  [/iPad/, 'iPadOS'],
  [/iPhone|iPod/, 'iOS'],
  [/Apple ?Watch|watchOS/, 'watchOS'],
  [/AppleTV|Apple TV|tvOS/, 'tvOS'],
  [/(?:^|[^A-Za-z])(?:iOS|ios)(?:[^A-Za-z]|$)/, 'iOS'],
  // Browser and build-triple forms of Windows before macOS, so a UA naming Windows NT is Windows whatever it borrows.
  [/Windows|Win(?:32|64|NT|9[58])\b|WOW64|WinHTTP|mingw|cygwin/, 'Windows'],
  [/Macintosh|Mac OS X|Mac_PowerPC|macOS|MacOSX|apple-darwin|\(darwin/, 'macOS'],
  // CFNetwork/Darwin app UAs: a Mac architecture or model marks macOS, otherwise iOS (see above).
  [/Darwin\/.*\((?:x86_64|arm64|i386)\)|MacBook|iMac|Macmini|MacPro/, 'macOS'],
  [/Darwin\/|CFNetwork\//, 'iOS'],
  // Windows system services name only themselves.
  [/Microsoft[-_ ]|MICROSOFT_|Windows-Update-Agent|NCSI/, 'Windows'],
  [/FreeBSD/, 'FreeBSD'],
  [/OpenBSD/, 'OpenBSD'],
  [/NetBSD/, 'NetBSD'],
  [/Linux|linux-gnu|Ubuntu|Debian|Fedora|CentOS|Red Hat/i, 'Linux'],
];

/** The OS family a User-Agent names, or null when it names none (see the module comment for the set). */
export function osFromUserAgent(ua: string): OsFamily | null {
  if (typeof ua !== 'string' || ua.length === 0) return null;
  for (const [pattern, family] of RULES) if (pattern.test(ua)) return family;
  return null;
}
