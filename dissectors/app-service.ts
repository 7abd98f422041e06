/**
 * The service behind a flow (Google, YouTube, Netflix...), from the host name
 * the flow named: the TLS/QUIC server name, the HTTP Host header or the DNS
 * query name. The flow's protocol (TLS, HTTP, DNS, QUIC) stays in
 * applicationName; this is the separate applicationService.
 *
 * Service names follow nDPI's spelling (the part after the dot in its
 * "TLS.Google" labels: "NetFlix", "Github", "Playstation", "GMail",
 * "Skype_Teams", "UbuntuONE", "DoH_DoT"...) so records line up with tools
 * built on it. A few services nDPI does not name (Baidu, Akamai's
 * hostnames...) use the obvious name. The domain list below is our own: the
 * registrable domains each company is known to run the service on.
 *
 * Matching is by whole labels on the right of the name ("google.com" matches
 * "www.google.com", never "notgoogle.com") and the longest listed suffix wins,
 * so "youtube.googleapis.com" is YouTube although "googleapis.com" is
 * GoogleServices. Two rules look at the leftmost label instead, because
 * certificate authorities and DNS resolvers run those endpoints under
 * countless domains of their own: "ocsp"/"ocspNN" is OCSP, "doh" is DoH_DoT.
 */

/**
 * Service -> the domains (suffixes, lower case, no trailing dot) it owns.
 * Grouped by company; a more specific entry (a sub-domain) of another
 * service's domain overrides it for the names under it.
 */
const SERVICE_DOMAINS: Readonly<Record<string, readonly string[]>> = {
  // --- Google ---------------------------------------------------------------
  // As nDPI splits it: Google is search, ads, analytics and static content;
  // GoogleServices the APIs and push channel apps talk to; the named products
  // (YouTube, GMail, Maps, Docs, Drive, Play Store, Meet...) get their own.
  Google: [
    ...googleCountryDomains(''),
    'google',
    'goog',
    'gstatic.com',
    'googleusercontent.com',
    'googlesyndication.com',
    'googleadservices.com',
    'google-analytics.com',
    'doubleclick.net',
    'gvt1.com',
    'gvt2.com',
    'gvt3.com',
    '1e100.net',
    'ggpht.com',
    'ampproject.org',
    'app-measurement.com',
    'android.com',
    'withgoogle.com',
    'googleblog.com',
    'googlesource.com',
    'googleoptimize.com',
    'admob.com',
    'chrome.com',
    'chromium.org',
    'waymo.com',
    'blogger.com',
    'blogspot.com',
    'googleplus.com',
    'gmodules.com',
    'recaptcha.net',
  ],
  GoogleServices: [
    'googleapis.com',
    // Firebase Cloud Messaging (push) connects to mtalk and its numbered alternates.
    'mtalk.google.com',
    ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `alt${n}-mtalk.google.com`),
    'googletagmanager.com',
    'googletagservices.com',
    'firebaseio.com',
    'firebaseapp.com',
    'firebase.google.com',
    'fcm.googleapis.com',
  ],
  GoogleCloud: ['cloud.google.com', 'appspot.com', 'run.app', 'cloudfunctions.net', 'storage.googleapis.com', 'googlecloud.com'],
  GoogleDocs: ['docs.google.com', 'sheets.google.com', 'slides.google.com', 'forms.google.com', 'docs.googleusercontent.com'],
  GoogleDrive: ['drive.google.com', 'drive.googleapis.com', 'googledrive.com', 'drive.usercontent.google.com'],
  GoogleMaps: [...googleCountryDomains('maps.'), 'maps.googleapis.com', 'maps.gstatic.com', 'maps.app.goo.gl',],
  GoogleMeet: ['meet.google.com', 'meet.googleapis.com'],
  GoogleChat: ['chat.google.com', 'chat.googleapis.com'],
  GoogleClassroom: ['classroom.google.com', 'classroom.googleapis.com'],
  GMail: ['mail.google.com', 'gmail.com', 'googlemail.com', 'inbox.google.com', 'gmail.googleapis.com'],
  PlayStore: ['play.google.com', 'android.clients.google.com', 'play-lh.googleusercontent.com', 'play-fe.googleapis.com'],
  YouTube: [
    'youtube.com',
    'youtu.be',
    'ytimg.com',
    'googlevideo.com',
    'youtube-nocookie.com',
    'youtubekids.com',
    'youtube.googleapis.com',
    'youtubei.googleapis.com',
    'yt.be',
    'yt3.ggpht.com',
    'ytimg.googleusercontent.com',
  ],
  YouTubeUpload: ['upload.youtube.com', 'uploads.youtube.com'],
  DataSaver: ['googlezip.net', 'datasaver.googleapis.com'],
  Crashlytics: ['crashlytics.com'],

  // --- Meta -----------------------------------------------------------------
  Facebook: ['facebook.com', 'facebook.net', 'fbcdn.net', 'fb.com', 'fb.me', 'fbsbx.com', 'fb.gg', 'facebookcorewwwi.onion', 'meta.com'],
  FacebookMessenger: ['messenger.com', 'm.me', 'msngr.com', 'edge-mqtt.facebook.com', 'mqtt-mini.facebook.com'],
  Instagram: ['instagram.com', 'cdninstagram.com', 'instagr.am', 'ig.me'],
  WhatsApp: ['whatsapp.com', 'whatsapp.net', 'wa.me'],
  WhatsAppFiles: ['mmg.whatsapp.net', 'mmg-fna.whatsapp.net', 'cdn.whatsapp.net', 'fna.whatsapp.net'],
  Threads: ['threads.net', 'threads.com'],

  // --- Other social and messaging ---------------------------------------------
  Twitter: ['twitter.com', 'twimg.com', 't.co', 'x.com', 'twttr.com', 'pscp.tv', 'periscope.tv'],
  TikTok: [
    'tiktok.com',
    'tiktokv.com',
    'tiktokv.us',
    'tiktokcdn.com',
    'tiktokcdn-us.com',
    'tiktokw.us',
    'musical.ly',
    'byteoversea.com',
    'ibytedtos.com',
    'ttwstatic.com',
  ],
  LinkedIn: ['linkedin.com', 'licdn.com', 'lnkd.in'],
  Snapchat: ['snapchat.com', 'snapads.com', 'sc-cdn.net', 'sc-static.net', 'snap-dev.net', 'snapkit.co', 'feelinsonice-hrd.appspot.com'],
  Pinterest: ['pinterest.com', 'pinimg.com', 'pin.it', ...countryVariants('pinterest', ['fr', 'de', 'co.uk', 'it', 'es', 'ca', 'jp', 'ru', 'com.au', 'com.mx', 'at', 'ch', 'pt', 'se', 'nz', 'ie', 'cl', 'dk', 'ph', 'kr'])],
  Reddit: ['reddit.com', 'redd.it', 'redditmedia.com', 'redditstatic.com', 'reddituploads.com', 'redditinc.com'],
  Tumblr: ['tumblr.com'],
  VK: ['vk.com', 'vk.me', 'vk.ru', 'userapi.com', 'vkuservideo.net', 'vkuser.net', 'vk-cdn.net', 'vkontakte.ru'],
  Bluesky: ['bsky.app', 'bsky.social', 'bsky.network'],
  Mastodon: ['mastodon.social', 'mastodon.online', 'joinmastodon.org'],
  Badoo: ['badoo.com', 'badoocdn.com'],
  Likee: ['like.video', 'likee.video', 'likeevideo.com'],
  Telegram: ['telegram.org', 'telegram.me', 't.me', 'telesco.pe', 'tdesktop.com', 'telegra.ph', 'telegram.dog'],
  Signal: ['signal.org', 'whispersystems.org', 'signal.art', 'signal.group', 'signal.me'],
  Viber: ['viber.com'],
  Line: ['line.me', 'line-apps.com', 'line-scdn.net', 'line.naver.jp', 'lin.ee'],
  KakaoTalk: ['kakao.com', 'kakaocdn.net', 'kakao.co.kr'],
  WeChat: ['wechat.com', 'weixin.qq.com', 'wx.qq.com', 'wechatapp.com', 'servicewechat.com'],
  QQ: ['qq.com', 'qpic.cn', 'qlogo.cn'],
  Discord: ['discord.com', 'discord.gg', 'discordapp.com', 'discordapp.net', 'discord.media', 'discordcdn.com', 'discord.co'],
  Slack: ['slack.com', 'slack-edge.com', 'slack-msgs.com', 'slack-imgs.com', 'slack-files.com', 'slackb.com'],
  SinaWeibo: ['weibo.com', 'weibo.cn', 'sinaimg.cn'],
  Sina: ['sina.com.cn', 'sina.cn', 'sina.com', 'sinajs.cn'],

  // --- Video and music --------------------------------------------------------
  NetFlix: ['netflix.com', 'netflix.net', 'nflximg.net', 'nflximg.com', 'nflxvideo.net', 'nflxext.com', 'nflxso.net', 'nflxsearch.net', 'fast.com'],
  AmazonVideo: ['primevideo.com', 'amazonvideo.com', 'aiv-cdn.net', 'aiv-delivery.net', 'pv-cdn.net'],
  DisneyPlus: ['disneyplus.com', 'disney-plus.net', 'bamgrid.com', 'dssott.com'],
  Hulu: ['hulu.com', 'hulustream.com', 'huluim.com'],
  HBO: ['hbo.com', 'hbomax.com', 'max.com', 'hbogo.com'],
  Twitch: ['twitch.tv', 'ttvnw.net', 'jtvnw.net', 'twitchcdn.net', 'twitchsvc.net', 'twitchapps.com'],
  Vimeo: ['vimeo.com', 'vimeocdn.com'],
  Dazn: ['dazn.com', 'dazn-api.com', 'indazn.com', 'dazndn.com'],
  Zattoo: ['zattoo.com'],
  iQIYI: ['iqiyi.com', 'iqiyipic.com', 'qy.net', '71.am'],
  IFLIX: ['iflix.com'],
  Spotify: ['spotify.com', 'scdn.co', 'spotifycdn.com', 'spotify.net', 'spoti.fi', 'pscdn.co'],
  Deezer: ['deezer.com', 'dzcdn.net'],
  SoundCloud: ['soundcloud.com', 'sndcdn.com'],
  Pandora: ['pandora.com', 'pandora.net'],
  LastFM: ['last.fm', 'audioscrobbler.com'],

  // --- Amazon -----------------------------------------------------------------
  Amazon: [
    ...countryVariants('amazon', ['com', 'co.uk', 'de', 'fr', 'it', 'es', 'nl', 'se', 'pl', 'com.be', 'com.tr', 'ae', 'sa', 'eg', 'in', 'co.jp', 'cn', 'sg', 'com.au', 'ca', 'com.mx', 'com.br']),
    'amazon-adsystem.com',
    'images-amazon.com',
    'ssl-images-amazon.com',
    'media-amazon.com',
    'amazon.dev',
    'a2z.com',
  ],
  AmazonAWS: ['amazonaws.com', 'aws.amazon.com', 'awsstatic.com', 'cloudfront.net', 'elasticbeanstalk.com', 'amazoncognito.com', 'awsapps.com', 'aws.dev'],
  AmazonAlexa: ['alexa.amazon.com', 'amazonalexa.com', 'alexa.a2z.com'],

  // --- Apple ------------------------------------------------------------------
  Apple: ['apple.com', 'cdn-apple.com', 'aaplimg.com', 'apple-dns.net', 'apple.news', 'apple-mapkit.com', 'appleid.apple.com', 'ls.apple.com'],
  AppleiCloud: ['icloud.com', 'icloud-content.com', 'apple-cloudkit.com', 'me.com', 'icloud.com.cn'],
  AppleiTunes: ['itunes.apple.com', 'itunes.com', 'mzstatic.com', 'music.apple.com'],
  AppleStore: ['apps.apple.com', 'buy.itunes.apple.com', 'store.apple.com'],
  ApplePush: ['push.apple.com', 'push-apple.com.akadns.net'],
  AppleSiri: ['guzzoni.apple.com', 'siri.apple.com', 'smoot.apple.com'],
  AppleTVPlus: ['tv.apple.com'],

  // --- Microsoft --------------------------------------------------------------
  Microsoft: [
    'microsoft.com',
    'microsoft.net',
    'bing.com',
    'bing.net',
    'msn.com',
    'msn.net',
    'live.com',
    'live.net',
    'windows.com',
    'msads.net',
    'msftconnecttest.com',
    'msftncsi.com',
    'appcenter.ms',
    'msedge.net',
    'trafficmanager.net',
    'visualstudio.com',
    'microsoftstore.com',
    'aka.ms',
    'msauth.net',
    'msftauth.net',
    'msocsp.com',
  ],
  Microsoft365: [
    'office.com',
    'office.net',
    'office365.com',
    'microsoftonline.com',
    'microsoftonline-p.com',
    'sharepoint.com',
    'onmicrosoft.com',
    'officeapps.live.com',
    'microsoft365.com',
    'microsoftstream.com',
  ],
  Outlook: ['outlook.com', 'hotmail.com', 'outlook.live.com', 'outlook.office365.com', 'outlook.office.com'],
  Teams: ['teams.microsoft.com', 'teams.office.com', 'teams.live.com', 'teams.skype.com', 'teams.cdn.office.net', 'teams.microsoft.us'],
  Skype_Teams: ['skype.com', 'skype.net', 'skypeassets.com', 'skypeforbusiness.com', 'lync.com'],
  MS_OneDrive: ['onedrive.com', 'onedrive.live.com', '1drv.com', '1drv.ms', 'storage.live.com'],
  Azure: ['azure.com', 'azure.net', 'windows.net', 'azureedge.net', 'azurefd.net', 'cloudapp.net', 'azurewebsites.net', 'azure-api.net', 'azurecr.io', 'msecnd.net'],
  WindowsUpdate: ['windowsupdate.com', 'update.microsoft.com', 'delivery.mp.microsoft.com'],
  Xbox: ['xbox.com', 'xboxlive.com', 'xboxservices.com', 'xboxab.com'],
  Github: ['github.com', 'github.io', 'githubusercontent.com', 'githubassets.com', 'github.dev', 'ghcr.io'],

  // --- Conferencing and collaboration -------------------------------------------
  Zoom: ['zoom.us', 'zoom.com', 'zoomgov.com', 'zoom.com.cn'],
  Webex: ['webex.com', 'wbx2.com', 'ciscospark.com', 'webexcontent.com'],
  Dropbox: ['dropbox.com', 'dropboxapi.com', 'dropboxstatic.com', 'dropboxusercontent.com', 'getdropbox.com', 'db.tt', 'dropbox-dns.com'],
  GitLab: ['gitlab.com', 'gitlab.io', 'gitlab-static.net'],
  Salesforce: ['salesforce.com', 'force.com', 'sfdcstatic.com', 'salesforceliveagent.com'],
  AdobeConnect: ['adobeconnect.com'],
  AnyDesk: ['anydesk.com'],
  TeamViewer: ['teamviewer.com'],
  Pluralsight: ['pluralsight.com'],

  // --- Asian platforms ----------------------------------------------------------
  Tencent: ['tencent.com', 'gtimg.com', 'gtimg.cn', 'myqcloud.com', 'qcloud.com', 'tencentcs.com', 'tencent-cloud.net'],
  Baidu: ['baidu.com', 'bdstatic.com', 'bdimg.com', 'baidubce.com', 'bcebos.com'],
  Alibaba: ['alibaba.com', 'alicdn.com', 'aliexpress.com', 'aliyun.com', 'aliyuncs.com', 'alibabacloud.com', 'taobao.com', 'tmall.com', 'alipay.com', 'mmstat.com'],
  Xiaomi: ['xiaomi.com', 'xiaomi.net', 'mi.com', 'miui.com', 'mi-img.com'],
  Huawei: ['huawei.com', 'hihonor.com'],
  HuaweiCloud: ['cloud.huawei.com', 'hicloud.com', 'dbankcdn.com', 'dbank.com', 'huaweicloud.com'],
  DingTalk: ['dingtalk.com'],
  Yandex: [...countryVariants('yandex', yandexTlds()), 'yandex.net', 'yastatic.net', 'ya.ru'],
  YandexMail: countryVariants('mail.yandex', yandexTlds()),
  YandexDisk: [...countryVariants('disk.yandex', yandexTlds()), 'yadi.sk'],
  YandexMusic: countryVariants('music.yandex', yandexTlds()),
  YandexMarket: [...countryVariants('market.yandex', yandexTlds()), 'market.yandex.net'],
  YandexMetrika: [...countryVariants('metrika.yandex', yandexTlds()), 'mc.yandex.ru', 'mc.yandex.com'],
  YandexDirect: [...countryVariants('direct.yandex', yandexTlds()), 'an.yandex.ru'],
  YandexCloud: [...countryVariants('cloud.yandex', yandexTlds()), 'yandexcloud.net'],

  // --- Games ----------------------------------------------------------------------
  Steam: ['steampowered.com', 'steamcommunity.com', 'steamstatic.com', 'steamcontent.com', 'steamserver.net', 'steamgames.com', 'steamusercontent.com', 'valvesoftware.com'],
  Dota2: ['dota2.com'],
  Playstation: ['playstation.com', 'playstation.net', 'sonyentertainmentnetwork.com', 'playstation.io'],
  Nintendo: ['nintendo.com', 'nintendo.net', 'nintendo.co.jp', 'nintendo-europe.com', 'nintendo.co.uk'],
  EpicGames: ['epicgames.com', 'epicgames.dev', 'unrealengine.com', 'fortnite.com'],
  Roblox: ['roblox.com', 'rbxcdn.com', 'rbx.com'],
  ElectronicArts: ['ea.com', 'origin.com', 'eamobile.com'],
  Activision: ['activision.com', 'callofduty.com', 'demonware.net'],
  RiotGames: ['riotgames.com', 'leagueoflegends.com', 'riotcdn.net', 'pvp.net'],
  WorldOfWarcraft: ['worldofwarcraft.com'],
  GeForceNow: ['nvidiagrid.net'],

  // --- VPN and privacy ----------------------------------------------------------------
  NordVPN: ['nordvpn.com', 'nordvpn.net', 'nordcdn.com'],
  ProtonVPN: ['protonvpn.com', 'protonvpn.ch', 'vpn-api.proton.me'],
  TunnelBear: ['tunnelbear.com', 'polargrizzly.com'],
  SurfShark: ['surfshark.com'],
  Mullvad: ['mullvad.net'],
  Windscribe: ['windscribe.com'],
  OperaVPN: ['sec-tunnel.com'],
  CloudflareWarp: ['cloudflareclient.com', 'cloudflarewarp.com'],
  Tor: ['torproject.org'],
  DoH_DoT: [
    'dns.google',
    'dns.google.com',
    'cloudflare-dns.com',
    'one.one.one.one',
    'dns.quad9.net',
    'dns9.quad9.net',
    'dns10.quad9.net',
    'dns11.quad9.net',
    'dns.nextdns.io',
    'dns.adguard.com',
    'dns.adguard-dns.com',
    'doh.opendns.com',
    'dns.sb',
    'dns.mullvad.net',
    'dns.cloudflare.com',
    'dns.digitale-gesellschaft.ch',
    'odvr.nic.cz',
    'dns.switch.ch',
    'dns.alidns.com',
    'doh.pub',
    'dns.twnic.tw',
    'dns0.eu',
    'dns.controld.com',
    'freedns.controld.com',
    'uncensoreddns.org',
    'dns.njal.la',
  ],

  // --- Infrastructure ---------------------------------------------------------------
  Cloudflare: ['cloudflare.com', 'cloudflare.net', 'cloudflareinsights.com', 'cloudflarestream.com', 'workers.dev', 'pages.dev', 'cloudflare-ipfs.com'],
  Akamai: ['akamai.net', 'akamai.com', 'akamaiedge.net', 'akamaihd.net', 'akamaized.net', 'akamaitechnologies.com', 'edgekey.net', 'edgesuite.net', 'akadns.net', 'akamaistream.net', 'akam.net'],
  Fastly: ['fastly.net', 'fastly.com', 'fastlylb.net'],
  Edgecast: ['edgecastcdn.net'],
  Cachefly: ['cachefly.net'],
  OCSP: ['o.lencr.org', 'ocsp.sectigo.com', 'ocsp.comodoca.com', 'ocsp.digicert.com', 'ocsp.pki.goog', 'ocsp.apple.com', 'oneocsp.microsoft.com', 'status.rapidssl.com', 'status.geotrust.com', 'status.thawte.com'],
  UbuntuONE: ['ubuntu.com', 'canonical.com', 'launchpad.net', 'snapcraft.io', 'ubuntuone.com'],
  Mozilla: ['mozilla.org', 'mozilla.com', 'mozilla.net', 'firefox.com', 'mozaws.net', 'mozgcp.net', 'mozit.cloud'],
  ntop: ['ntop.org'],
  Ookla: ['speedtest.net', 'ookla.com'],
  ADS_Analytic_Track: [
    'scorecardresearch.com',
    'adjust.com',
    'appsflyer.com',
    'branch.io',
    'newrelic.com',
    'nr-data.net',
    'mixpanel.com',
    'amplitude.com',
    'segment.io',
    'segment.com',
    'criteo.com',
    'criteo.net',
    'taboola.com',
    'outbrain.com',
    'hotjar.com',
    'adnxs.com',
    'rubiconproject.com',
    'pubmatic.com',
    'openx.net',
    'casalemedia.com',
    'moatads.com',
    'quantserve.com',
    'chartbeat.com',
    'chartbeat.net',
  ],

  // --- Everything else -----------------------------------------------------------------
  Wikipedia: [
    'wikipedia.org',
    'wikimedia.org',
    'wikidata.org',
    'wiktionary.org',
    'wikibooks.org',
    'wikiquote.org',
    'wikisource.org',
    'wikinews.org',
    'wikiversity.org',
    'wikivoyage.org',
    'mediawiki.org',
    'wikimediafoundation.org',
  ],
  Yahoo: ['yahoo.com', 'yahoo.net', 'yimg.com', 'yahooapis.com', 'yahoo.co.jp', 'ymail.com', 'yahoodns.net'],
  eBay: ['ebay.com', 'ebayimg.com', 'ebaystatic.com', 'ebay.co.uk', 'ebay.de', 'ebay.fr', 'ebay.it', 'ebay.es', 'ebay.com.au', 'ebay.ca'],
  Waze: ['waze.com'],
  AccuWeather: ['accuweather.com'],
  CNN: ['cnn.com', 'cnn.io'],
  Bloomberg: ['bloomberg.com', 'bloomberg.net', 'bloomberg.tv'],
  Pastebin: ['pastebin.com'],
};

/** google.<country> for the countries Google runs a search front page in (prefix e.g. "maps."). */
function googleCountryDomains(prefix: string): string[] {
  return countryVariants(`${prefix}google`, [
    'com', 'ad', 'ae', 'al', 'am', 'as', 'at', 'az', 'ba', 'be', 'bf', 'bg', 'bi', 'bj', 'bs', 'bt', 'by', 'ca', 'cd', 'cf', 'cg', 'ch',
    'ci', 'cl', 'cm', 'cn', 'cv', 'cz', 'de', 'dj', 'dk', 'dm', 'dz', 'ee', 'es', 'fi', 'fm', 'fr', 'ga', 'ge', 'gg', 'gl', 'gm', 'gr',
    'gy', 'hn', 'hr', 'ht', 'hu', 'ie', 'im', 'iq', 'is', 'it', 'je', 'jo', 'kg', 'ki', 'kz', 'la', 'li', 'lk', 'lt', 'lu', 'lv', 'md',
    'me', 'mg', 'mk', 'ml', 'mn', 'mu', 'mv', 'mw', 'ne', 'nl', 'no', 'nr', 'nu', 'pl', 'pn', 'ps', 'pt', 'ro', 'rs', 'ru', 'rw', 'sc',
    'se', 'sh', 'si', 'sk', 'sm', 'sn', 'so', 'sr', 'st', 'td', 'tg', 'tl', 'tm', 'tn', 'to', 'tt', 'vg', 'vu', 'ws',
    'co.ao', 'co.bw', 'co.ck', 'co.cr', 'co.id', 'co.il', 'co.in', 'co.jp', 'co.ke', 'co.kr', 'co.ls', 'co.ma', 'co.mz', 'co.nz',
    'co.th', 'co.tz', 'co.ug', 'co.uk', 'co.uz', 'co.ve', 'co.vi', 'co.za', 'co.zm', 'co.zw',
    'com.af', 'com.ag', 'com.ar', 'com.au', 'com.bd', 'com.bh', 'com.bn', 'com.bo', 'com.br', 'com.bz', 'com.co', 'com.cu', 'com.cy',
    'com.do', 'com.ec', 'com.eg', 'com.et', 'com.fj', 'com.gh', 'com.gi', 'com.gt', 'com.hk', 'com.jm', 'com.kh', 'com.kw', 'com.lb',
    'com.ly', 'com.mm', 'com.mt', 'com.mx', 'com.my', 'com.na', 'com.ng', 'com.ni', 'com.np', 'com.om', 'com.pa', 'com.pe', 'com.pg',
    'com.ph', 'com.pk', 'com.pr', 'com.py', 'com.qa', 'com.sa', 'com.sb', 'com.sg', 'com.sl', 'com.sv', 'com.tj', 'com.tr', 'com.tw',
    'com.ua', 'com.uy', 'com.vc', 'com.vn',
  ]);
}

function yandexTlds(): string[] {
  return ['ru', 'com', 'kz', 'by', 'ua', 'uz', 'com.tr', 'az', 'com.am', 'com.ge', 'co.il', 'lv', 'lt', 'ee', 'md', 'tj', 'tm', 'fr'];
}

function countryVariants(base: string, tlds: readonly string[]): string[] {
  return tlds.map((tld) => `${base}.${tld}`);
}

/** Every service name this module can return (for tests and docs). */
export const SERVICE_NAMES: readonly string[] = Object.freeze(Object.keys(SERVICE_DOMAINS));

/** Domain suffix -> service, and the most labels any suffix has (bounds the walk). */
const BY_SUFFIX = new Map<string, string>();
let MAX_LABELS = 1;
for (const service of SERVICE_NAMES) {
  for (const domain of SERVICE_DOMAINS[service]) {
    const previous = BY_SUFFIX.get(domain);
    // A domain listed twice is a mistake in the table above: fail at load, where the test sees it.
    if (previous !== undefined) throw new Error(`app-service: ${domain} listed for ${previous} and ${service}`);
    BY_SUFFIX.set(domain, service);
    let labels = 1;
    for (let i = 0; i < domain.length; i++) if (domain.charCodeAt(i) === 0x2e) labels++;
    if (labels > MAX_LABELS) MAX_LABELS = labels;
  }
}

const DOT = 0x2e;
/** Longer than any DNS name (253) plus a ":port": not a host name. */
const MAX_HOST_LENGTH = 260;

/**
 * nDPI-style service name for a host name (case-insensitive, trailing dot
 * ignored), or null. Matches whole labels: 'google.com' matches
 * 'www.google.com' but not 'notgoogle.com'. Longest suffix wins (e.g.
 * youtube.googleapis.com -> YouTube before googleapis.com -> GoogleServices).
 *
 * A ":port" after a name (an HTTP Host header such as "www.google.com:443")
 * is ignored. IP literals (dotted IPv4, IPv6 with or without brackets) name
 * no service: null.
 */
export function serviceFromHostName(host: string): string | null {
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  if (host.charCodeAt(0) === 0x5b /* '[' */) return null; // bracketed IPv6 literal
  let end = host.length;
  const colon = host.indexOf(':');
  if (colon >= 0) {
    // One colon: name:port. More than one: an IPv6 literal.
    if (host.indexOf(':', colon + 1) >= 0) return null;
    end = colon;
  }
  while (end > 0 && host.charCodeAt(end - 1) === DOT) end--;
  if (end === 0) return null;
  // Lower-case only when needed: most names on the wire already are.
  let name = host;
  for (let i = 0; i < end; i++) {
    const c = host.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      name = host.toLowerCase();
      break;
    }
  }
  // A numeric last label is an IPv4 literal (no top-level domain is all digits).
  if (isAllDigits(name, name.lastIndexOf('.', end - 1) + 1, end)) return null;

  // The leftmost-label rules (OCSP responders, DoH resolvers) need 3+ labels,
  // so that "ocsp.com" itself stays nobody's.
  const firstDot = name.indexOf('.');
  if (firstDot > 0 && firstDot < end) {
    const secondDot = name.indexOf('.', firstDot + 1);
    if (secondDot > firstDot + 1 && secondDot < end - 1) {
      if (isOcspLabel(name, firstDot)) return 'OCSP';
      if (firstDot === 3 && name.startsWith('doh')) return 'DoH_DoT';
    }
  }

  // Walk the dots from the right: each step is a longer suffix; the last hit is the longest.
  let found: string | null = null;
  let labels = 0;
  let i = end;
  while (labels < MAX_LABELS) {
    const dot = i > 0 ? name.lastIndexOf('.', i - 1) : -1;
    labels++;
    const start = dot + 1;
    const hit = BY_SUFFIX.get(start === 0 && end === name.length ? name : name.slice(start, end));
    if (hit !== undefined) found = hit;
    if (dot < 0) break;
    i = dot;
  }
  return found;
}

/** "ocsp" or "ocsp" followed by digits ("ocsp2", "ocsp07"): a certificate status responder. */
function isOcspLabel(name: string, labelEnd: number): boolean {
  if (labelEnd < 4 || !name.startsWith('ocsp')) return false;
  return labelEnd === 4 || isAllDigits(name, 4, labelEnd);
}

function isAllDigits(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

