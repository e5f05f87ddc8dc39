"""One normalisation pass that undoes the usual filter-dodging tricks.

Scammers write 加Ⅴх, 薇❤, s h u a d a n, ｗｗｗ点xx点com or slip zero-width characters
between letters. Everything downstream matches on the *flat* form produced here, so every
rule sees the same text whatever disguise the sender used:

1. NFKC folds full-width letters and digits, Roman numerals (Ⅴ -> V), circled and
   mathematical letters into plain ASCII;
2. a homoglyph table maps Cyrillic and Greek look-alikes (х, о, ν, ...) to Latin and
   traditional characters to simplified ones;
3. invisible characters (zero-width, bidi marks, variation selectors) are removed;
4. ``flat`` additionally drops whitespace and decorative symbols, maps hearts to 信
   (威❤ = 威信 = 微信) and turns 点/。/dot between Latin letters into ``.``.

The number scanner in ``guard.pii`` works on the original text instead (it needs real
offsets to mask), with its own character classes for full-width and Chinese digits.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

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
)
_SIMPLIFIED = (
    "宝妈职动赚单佣结贷险医税奖领这号码红币亿钱转账账户银联请点击连链费务员机会对关开认证冻诈骗吗让说话电线给们时间东场个里买"
    "卖优游戏装备肤称运补贴发报销门诊头条额征坏网络荐导师涨稳赔资产进帮从处业专区县乡镇楼层与为来还没过长当应现实体写书学团队"
    "齐礼乐权欢亲爱陆军总经历赢输顺风问题么无担审记录准确价财货兑换获赠积签约觉气双偿损遗续订购递达邮车驾验钥带内亏盘拟虚检传"
    "缉侦办护卫视频软载注册扫维挂断举苏腾讯纸两万几钟表评泪轻松懒边众热听课讲独属邻园范围压张刘陈杨黄赵吴孙马郑谢韩冯邓萧叶卢"
    "钟谭贾韦邹龙贺顾龚严温庄聂鲁欧兰宁纪毕乔骆蓝鲍华饶窦阎沪汉广贵云辽台湾栋后里板够启际"
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

# Hearts are read as 信 (威❤ / V❤ = 微信); other pictographs are just decoration.
_HEARTS_RE = re.compile("[❤♥♡❣💓💔💕💖💗💘💙💚💛💜💝💞💟🤍🖤🤎🧡💌]")

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


def flatten(norm: str) -> str:
    """Drop spacing and decoration from normalised text so spaced-out words join up."""
    flat = _HEARTS_RE.sub("信", norm)
    flat = _DECORATION_RE.sub("", flat)
    return _DOT_WORD_RE.sub(".", flat)


def flat(text: str) -> str:
    """Normalise then flatten: the form all scam rules match on."""
    return flatten(normalize(text))


# ---------------------------------------------------------------------------- pinyin
# Scammers also spell hooks in pinyin, whole (shuadan, jianzhi) or half (中jiang). We
# turn the Chinese characters around a Latin run into pinyin and match the rules'
# pinyin there. The character table is pypinyin's data file; it is loaded on the first
# message that has Latin letters at all, so importing the guard stays cheap.

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


_TONES = str.maketrans(
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ",
    "aaaaeeeeiiiioooouuuuvvvvvnnnm",
)


def _strip_tone(syllable: str) -> str:
    plain = syllable.translate(_TONES)
    if plain.isascii():
        return plain
    # rare marks (ê̄, m̀ ...): fall back to decomposition
    return "".join(c for c in unicodedata.normalize("NFKD", plain) if c.isascii())


@cache
def _pinyin_table() -> dict[int, tuple[str, ...]]:
    """Code point -> readings without tones, first reading first."""
    raw: dict[str, str]
    try:
        # find_spec locates the package without importing it: importing pypinyin loads
        # its Python dictionaries (~200 ms); its JSON copy of the same data takes ~15 ms.
        spec = importlib.util.find_spec("pypinyin")
        if spec is None or spec.origin is None:
            raise FileNotFoundError("pypinyin")
        data = Path(spec.origin).with_name("pinyin_dict.json").read_text("utf-8")
        raw = json.loads(data)
    except (OSError, ValueError):  # pragma: no cover - packaging without the JSON copy
        from pypinyin.pinyin_dict import pinyin_dict

        raw = {str(k): v for k, v in pinyin_dict.items()}
    table: dict[int, tuple[str, ...]] = {}
    for key, value in raw.items():
        code = int(key)
        if not (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF):
            continue  # only the characters pinyin_view converts
        table[code] = tuple(dict.fromkeys(_strip_tone(r.strip()) for r in value.split(",")))
    return table


def readings(char: str) -> tuple[str, ...]:
    """All toneless pinyin readings of one Chinese character (empty if unknown)."""
    return _pinyin_table().get(ord(char), ())


def pinyin_view(segment: str) -> tuple[str, list[bool]]:
    """Pinyin of ``segment`` (first reading per character) and, per output character,
    whether it was already Latin in the input. The flags let a caller insist that a
    pinyin match involves letters the sender actually typed: a pinyin match made only of
    converted characters would be a homophone (简直 = jianzhi = 兼职), not a disguise."""
    out: list[str] = []
    latin: list[bool] = []
    for ch in segment:
        if _CJK_RE.match(ch):
            rs = readings(ch)
            piece = rs[0] if rs else ""
            out.append(piece)
            latin.extend([False] * len(piece))
        elif "a" <= ch <= "z":
            out.append(ch)
            latin.append(True)
        # everything else (digits, punctuation) is dropped from the pinyin view
    return "".join(out), latin
