"""One normalisation pass that undoes the usual filter-dodging tricks.

Scammers write 加Ⅴх, 薇❤, s h u a d a n, ｗｗｗ点xx点com or slip zero-width characters
between letters. Everything downstream matches on the *flat* form produced here, so every
rule sees the same text whatever disguise the sender used:

1. NFKC folds full-width letters and digits, Roman numerals (Ⅴ -> V), circled and
   mathematical letters into plain ASCII;
2. a homoglyph table maps Cyrillic and Greek look-alikes (х, о, ν, ...) to Latin and
   traditional characters to simplified ones;
3. invisible characters (zero-width, bidi marks, variation selectors) are removed;
4. ``flat`` additionally drops whitespace and decorative symbols (emoji between
   characters too), maps a heart after 威/微/V to 信 (威❤ = 微信), reads ＋V as 加V,
   removes punctuation slipped inside Chinese words (兼.职.刷.单, 刷，单，返，利),
   reads long runs of Chinese numerals as digits (扣扣：一八四三九二零五七一), reads job
   ads' misspelt keywords back (兼直 -> 兼职, 日洁 -> 日结) and turns 点/。/dot between
   Latin letters into ``.``.

Pinyin typed in place of characters (淘bao理pei) is handled in ``guard.scam``.

The number scanner in ``guard.pii`` works on the original text instead (it needs real
offsets to mask), with its own character classes for full-width and Chinese digits.
"""

from __future__ import annotations

import re
import unicodedata

# Look-alikes NFKC leaves alone. Upper and lower case both map to lower-case Latin, since
# matching is case-insensitive anyway.
_HOMOGLYPH_PAIRS = (
    # Cyrillic
    "аa вb еe ёe кk мm нh оo рp сc тt уy хx ѵv іi їi јj ѕs ԛq ԝw үy һh ӏl ԁd ɡg "
    "Аa Вb Еe Ёe Кk Мm Нh Оo Рp Сc Тt Уy Хx Ѵv Іi Їi Јj Ѕs Ԛq Ԝw Үy Һh Ӏl "
    # Greek
    "αa βb γy εe ηn ιi κk μu νv οo ρp τt υu χx ωw "
    "Αa Βb Εe Ζz Ηh Ιi Κk Μm Νn Οo Ρp Τt Υy Χx "
    # Latin look-alikes NFKC leaves alone: √ is written for v (加√), small capitals
    "√v ✓v ✔v ɑa ɩi ʋv ᴠv ᴡw ᴢz ɪi ʏy ᴋk ᴍm ɴn ᴏo ᴘp ᴛt ᴜu ʀr ꜱs ᴄc ᴅd ᴇe ɢg ʜh ᴊj ʟl"
)

# Traditional characters scammers switch to (寶媽兼職, 動動手指日賺) so that simplified
# keyword filters miss them. Only characters that never appear in simplified text are
# mapped (著, 乾, 於 ... are left alone), so simplified text is untouched.
_TRADITIONAL = (
    "寶媽職動賺單傭結貸險醫稅獎領這號碼紅幣億錢轉賬帳戶銀聯請點擊連鏈費務員機會對關開認證凍詐騙嗎讓說話電線給們時間東場個裡買"
    "賣優遊戲裝備膚稱運補貼發報銷門診頭條額徵壞網絡薦導師漲穩賠資產進幫從處業專區縣鄉鎮樓層與為來還沒過長當應現實體寫書學團隊"
    "齊禮樂權歡親愛陸軍總經歷贏輸順風問題麼無擔審記錄準確價財貨兌換獲贈積簽約覺氣雙償損遺續訂購遞達郵車駕驗鑰帶內虧盤擬虛檢傳"
    "緝偵辦護衛視頻軟載註冊掃維掛斷舉蘇騰訊紙兩萬幾鐘錶評淚輕鬆懶邊眾熱聽課講獨屬鄰園範圍壓張劉陳楊黃趙吳孫馬鄭謝韓馮鄧蕭葉盧"
    "鍾譚賈韋鄒龍賀顧龔嚴溫莊聶魯歐蘭寧紀畢喬駱藍鮑華饒竇閻滬漢廣貴雲遼臺灣棟後裏闆夠啟際"
    "異療養齡鐵歲廳圖營標創劃據歸滿濟環畫監種築簡級細綁緊績繳罰聲腦舊藥衝製複觀計設許試詢該詳誤諮質趕較輛農適選釋針鎖隨離靈頁項預飛餘館髮鬥麗"
)
_SIMPLIFIED = (
    "宝妈职动赚单佣结贷险医税奖领这号码红币亿钱转账账户银联请点击连链费务员机会对关开认证冻诈骗吗让说话电线给们时间东场个里买"
    "卖优游戏装备肤称运补贴发报销门诊头条额征坏网络荐导师涨稳赔资产进帮从处业专区县乡镇楼层与为来还没过长当应现实体写书学团队"
    "齐礼乐权欢亲爱陆军总经历赢输顺风问题么无担审记录准确价财货兑换获赠积签约觉气双偿损遗续订购递达邮车驾验钥带内亏盘拟虚检传"
    "缉侦办护卫视频软载注册扫维挂断举苏腾讯纸两万几钟表评泪轻松懒边众热听课讲独属邻园范围压张刘陈杨黄赵吴孙马郑谢韩冯邓萧叶卢"
    "钟谭贾韦邹龙贺顾龚严温庄聂鲁欧兰宁纪毕乔骆蓝鲍华饶窦阎沪汉广贵云辽台湾栋后里板够启际"
    "异疗养龄铁岁厅图营标创划据归满济环画监种筑简级细绑紧绩缴罚声脑旧药冲制复观计设许试询该详误咨质赶较辆农适选释针锁随离灵页项预飞余馆发斗丽"
)


def _homoglyph_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for pair in _HOMOGLYPH_PAIRS.split():
        src, dst = pair[0], pair[1:]
        table[ord(src)] = dst.lower()
    # Symbols that stand for "+" in 加 / ＋v.
    for ch in "➕✚﹢":
        table[ord(ch)] = "+"
    for t, simp in zip(_TRADITIONAL, _SIMPLIFIED, strict=True):
        table[ord(t)] = simp
    return table


_HOMOGLYPHS = _homoglyph_table()

# Invisible or formatting characters that carry no meaning but split words for filters.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
    # combining marks left after NFKC (strike-through s̶h̶u̶a̶ and friends)
    "|[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)

# Hearts are read as 信 after the first half of 微信 (威❤ / V❤ = 微信); anywhere else a
# heart is decoration like any other pictograph (带❤单❤老❤师).
_HEARTS_RE = re.compile(r"(?<=[威微薇徽嶶溦vV])\s*[❤♥♡❣💓💔💕💖💗💘💙💚💛💜💝💞💟🤍🖤🤎🧡💌]")

# What ``flat`` throws away: whitespace, decorative separators and emoji / pictographs.
_DECORATION_RE = re.compile(
    r"[\s·•・‧∙⋅◦°|~^`'\"“”‘’«»<>《》「」『』〈〉*#_=]"
    "|[\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u2500-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\U0001f000-\U0001faff]"
)

# 点 / 。/ dot written between Latin letters or digits is a disguised "." in a link:
# www点abc点com, abc。cn, abc dot com. The right side must be a letter so that 3点30
# (half past three) is left alone.
_DOT_WORD_RE = re.compile(r"(?<=[a-z0-9])(?:点|。|｡|dot|\(\.\)|\[\.\])(?=[a-z])")


def normalize(text: str) -> str:
    """NFKC + homoglyphs + invisible characters removed + lower case. Keeps spacing."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_HOMOGLYPHS)
    text = _INVISIBLE_RE.sub("", text)
    return text.lower()


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Punctuation slipped between Chinese characters to split a word for filters: 兼.职.刷.单,
# 出租/收购, 带-单. Chinese text never puts these inside a word, so they go.
_CJK_SPLIT_RE = re.compile(f"(?<=[{_CJK}])[.\\-/\\\\+]{{1,3}}(?=[{_CJK}])")
# Single characters strung together with commas (刷，单，返，利): at least four in a row, so
# that ordinary short clauses are left alone.
_CJK_SPELLED_RE = re.compile(f"(?<![{_CJK}])[{_CJK}](?:[，,、;；][{_CJK}]){{3,}}(?![{_CJK}])")
_SPELLED_SEP_RE = re.compile("[，,、;；]")
# A contact number written in Chinese numerals (扣扣：一八四三九二零五七一) is read as
# digits once it is long enough to be a number rather than a word (五六个, 一两).
_CN_NUMERALS = "零〇洞一幺二两三四五六七八九"
_CN_RUN_RE = re.compile(f"[{_CN_NUMERALS}]{{5,}}")
_CN_TO_DIGIT = str.maketrans(_CN_NUMERALS, "00011223456789")


# Job ads misspell their own keywords with a homophone or a split character so that
# filters miss them: 兼直 / 兼值 / 兼耳只 for 兼职, 日洁 / 日捷 for 日结, 躺挣 for 躺赚. Only
# spellings no ordinary word has are read back, and not where they begin a real word
# (兼直播, 日洁面 after 每, 节日洁净).
_DISGUISED_WORDS = (
    (re.compile("兼(?:直|值|値|植|耳只)(?![播销])"), "兼职"),
    (re.compile("(?<![每节])日(?:洁|捷)(?![面净具肤齿牙白])"), "日结"),
    (re.compile("躺挣"), "躺赚"),
)

# ＋V / ➕薇 / +q: a plus before a messenger name is 加 (add me on ...).
_PLUS_ADD_RE = re.compile(r"\+(?=\s*(?:v|w|q|微|薇|威|徽|扣|企鹅|飞机|tg|wx))")


def flatten(norm: str) -> str:
    """Drop spacing and decoration from normalised text so spaced-out words join up."""
    flat = _HEARTS_RE.sub("信", norm)
    flat = _PLUS_ADD_RE.sub("加", flat)
    flat = _DECORATION_RE.sub("", flat)
    flat = _CJK_SPLIT_RE.sub("", flat)
    flat = _CJK_SPELLED_RE.sub(lambda m: _SPELLED_SEP_RE.sub("", m.group()), flat)
    flat = _CN_RUN_RE.sub(lambda m: m.group().translate(_CN_TO_DIGIT), flat)
    for disguise, word in _DISGUISED_WORDS:  # after the joins: 兼 . 直 is 兼直 by now
        flat = disguise.sub(word, flat)
    return _DOT_WORD_RE.sub(".", flat)


def flat(text: str) -> str:
    """Normalise then flatten: the form all scam rules match on."""
    return flatten(normalize(text))
