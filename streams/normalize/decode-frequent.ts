/**
 * Characters that make up most of real text in each script, used to tell a right decoding from a
 * wrong one: a wrong decoding of CJK bytes still yields valid characters, but rarely these.
 * `ZH`: the 500 most frequent Han characters of zhwiki + CLUECorpusSmall (about 75% of the Han
 * characters there) plus their Traditional forms from OpenCC's STCharacters, so Simplified text in
 * Big5 or Traditional text in GBK both score as Chinese. `KO`: frequent Hangul syllables (Korean
 * punctuation is mostly ASCII). Japanese is recognised by its kana (ranges in decode-detect.ts),
 * not its kanji, which a wrong reading of Chinese bytes produces plenty of.
 */
export const ZH = '的一是在年有人为不了国中大和个于时以上后这会日月出行到学我来家地下发成多要对生他公作也分过可用方部主之与能就其市开本很业都动自斯好而同得子区车面前里长法最西现经小新比道位还并进事克政及名民理们第但加站外间机所定等内高工天点当度线由尔说三合建电体特因表被力关没全北实此文期场利平美东制员次入任台南如安将通总布至代看元者军亚相务么保路重然起司金设口去心系德意量数种交海目使物球号产些二性省世两正教提门立该从罗战式城吃运明女赛化常水价拉资书接马品风格计十情兰统直手原想或向你科无那共样只列信称示已治首程更基万果影据应单联州游环持感改问别气管队约达士包府受题组指结着什处完局展少选回山较太服知解四始尼色放议收身强近各记属乐级京觉米导认华活县演集她师带视专己头网界真非商老报流打周传调院团维领参给做件巴则先王变支语推类再英林味广港质每又校节求权反镇阿错社排标委俄光责让香男清取几戏党费际图转话形预增决随造热规今友乌曾儿术获未何境片字投整评铁见历候企办义续条普项洲超案河史需装容算速空喜它官店奥音足且供爱鱼才划查论张白朝争买客离终欢五营卡份往响告澳证器复命快走星源型创助菜纳准根步房古连注段升亲研曲优观便边田备医爲瞭國個箇於時後這會齣學來傢發髮對過與開業動衕區車麪裏哩長現經還並併幷進剋們間機內點當噹線爾說閤電體錶關沒實場東製員臺檯颱將總佈軍亞務麼設係繫數種號產兩門該從羅戰喫運賽價資書馬風計蘭統嚮曏無樣隻祇稱萬菓據應單聯遊環問別彆氣隊約達題組結處侷選迴較議強記屬樂級覺導認華縣師帶視專頭網報週賙傳調團糰維領參蔘給則變語類廣質節權鎮錯標責讓幾戲黨費際圖轉話預決隨熱規烏兒術朮獲穫評鐵見歷曆辦義續條項裝牠奧愛魚纔劃論張爭買離終歡營響證証復複覆創納準連註昇親麴優觀邊備醫'
export const KO = '이다의는에을하가고지서기한로사자리인어수대를시도보정아나게일해있적요제부주전상니들만구과장으성것라조스비교연소동우신위경화여무관생면내세문원방국미마했결개오까그재치및중분회업행실후물모터계진때말학습본목점현공거단드또두민통간르운타안된각선금임식론바당저트발영용없차순명레추알건속던워야등번할함되며처럼았었겠려'
export const ZH_PUNCT = '、。，！？：；（）《》「」【】“”‘’…—·'
export const JA_PUNCT = '、。「」『』・（）！？'
